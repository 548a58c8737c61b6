"""Citizens: the list (search and filters, phones masked) and one citizen's page (their
answers, evidence, the score explained, the decisions, and the buttons to decide)."""

from datetime import datetime, timezone

from flask import g, render_template, request

from bot.outreach.recipients import current_period

from ..citizens import BadFilter, Filters, group_names, read_filters, search, unit_choices
from ..dossier import CONSENT, load
from ..recognition import MAX_REASON, refusal
from storage.standing import STATUSES


def render_citizen(runtime, citizen_id: int, period: int | None = None, error: str | None = None,
                   reason: str = "", code: int = 200):
    """The citizen's page; the recognition actions render it again with their error."""
    now = datetime.now(timezone.utc)
    with runtime.db.read() as db_session:
        citizen = g.scope.citizen_or_404(db_session, citizen_id)
        dossier = load(db_session, runtime.criteria_sets, g.scope, citizen, period, current_period(now))
    assessment = dossier.assessment
    may = {action: assessment is not None and refusal(assessment, action) is None
           for action in ("approve", "return")}
    groups = group_names(runtime.criteria_sets, runtime.criteria)
    return render_template("admin/citizen.html", d=dossier, c=dossier.citizen, may=may, error=error,
                           reason=reason, groups=groups, consent=CONSENT, max_reason=MAX_REASON,
                           title=dossier.citizen.name), code


def register(bp, runtime) -> None:
    @bp.get("/citizens")
    def citizens():
        now = datetime.now(timezone.utc)
        groups = group_names(runtime.criteria_sets, runtime.criteria)
        error, page = None, None
        try:
            filters = read_filters(request.args, groups, now)
        except BadFilter as exc:
            error, filters = str(exc), Filters(period=current_period(now))
        with runtime.db.read() as db_session:
            if error is None:
                unit = g.scope.unit_or_404(db_session, filters.unit) if filters.unit else None
                page = search(db_session, g.scope, filters, unit, groups)
            units = unit_choices(db_session, g.scope)
        return render_template("admin/citizens.html", page=page, filters=filters, error=error,
                               groups=groups, units=units, statuses=STATUSES,
                               title="Công dân"), (400 if error else 200)

    @bp.get("/citizens/<int:citizen_id>")
    def citizen(citizen_id):
        period = request.args.get("period", "")
        if period and not (period.isdigit() and 2000 <= int(period) <= 2100):
            return render_citizen(runtime, citizen_id, error="Năm phải là một số từ 2000 đến 2100.",
                                  code=400)
        return render_citizen(runtime, citizen_id, int(period) if period else None)
