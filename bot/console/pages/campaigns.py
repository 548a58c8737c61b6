"""Chiến dịch: campaigns (the learning week…) with their period's figures and their
broadcasts; an officer creates one for a unit of their subtree."""

from datetime import datetime, timezone

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from messages_vi.render import TIMEZONE
from storage.models import Broadcast, Campaign

from ..audit import record
from ..broadcasts import progressed
from ..campaigns import BadCampaign, figures, read_campaign, visible
from ..citizens import unit_choices


def register(bp, runtime) -> None:
    def listing(form, error=None, code=200):
        with runtime.db.read() as session:
            return render_template("admin/campaigns.html", campaigns=visible(session, g.scope),
                                   units=unit_choices(session, g.scope), form=form, error=error,
                                   title="Chiến dịch"), code

    @bp.get("/campaigns")
    def campaigns():
        today = datetime.now(TIMEZONE).date()
        return listing({"unit": g.officer.unit.code if g.officer.unit else "",
                        "starts_on": today.isoformat(), "ends_on": today.isoformat()})

    @bp.post("/campaigns")
    def campaign_create():
        now = datetime.now(timezone.utc)
        with runtime.db.transaction() as session:
            try:
                data = read_campaign(request.form, session, g.scope)
            except BadCampaign as exc:
                return listing(request.form, str(exc), 400)
            campaign = Campaign(name=data.name, unit_id=data.unit.id, starts_on=data.starts_on,
                                ends_on=data.ends_on, created_by=g.officer.username, created_at=now)
            session.add(campaign)
            session.flush()
            record(session, g.officer.username, "campaign.create", f"campaign {campaign.id}", now,
                   name=data.name, unit=data.unit.code)
            campaign_id = campaign.id
        flash("Đã tạo chiến dịch.", "ok")
        return redirect(url_for("admin.campaign", campaign_id=campaign_id), 303)

    @bp.get("/campaigns/<int:campaign_id>")
    def campaign(campaign_id):
        with runtime.db.read() as session:
            c = g.scope.owned_or_404(session, Campaign, campaign_id)
            found = figures(session, g.scope, c, runtime, datetime.now(timezone.utc))
            sent = session.scalars(select(Broadcast).where(Broadcast.campaign_id == c.id)
                                   .order_by(Broadcast.id.desc())).all()
            shown = [(b, progressed(session, b)) for b in sent if g.scope.covers(b.unit)]
            return render_template("admin/campaign.html", c=c, during=found.during, year=found.totals,
                                   as_of=found.as_of,
                                   shown=shown, title=c.name)
