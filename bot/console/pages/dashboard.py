"""The dashboard (GET /admin/) and its JSON (GET /admin/dashboard.json): the figures of the
officer's subtree, or of a unit within it (?unit=CODE), for a year (?period=YYYY), from
bot/console/figures.py; charts from bot/console/charts.py."""

from datetime import datetime, timezone

from flask import g, render_template, request
from markupsafe import Markup

from messages_vi.render import TIMEZONE

from .. import campaigns, charts
from ..figures import BadChoice, as_json, choose, figures_of, periods, trail

MOST_BARS = 25   # a province has ~100 communes: the chart shows the largest, the table all


def selection(session, now: datetime):
    """The unit and period of this request (404 outside the scope; BadChoice for a bad value)."""
    return choose(session, g.scope, g.officer.unit, request.args, now)


def bad_request(message: str):
    if request.path.endswith(".json"):
        return {"error": message}, 400
    return render_template("admin/error.html", code=400, message=message), 400


def status_parts(totals) -> list[tuple[str, str, int]]:
    """The stacked bar's parts: every registered citizen in exactly one."""
    not_passed = totals.completed - totals.awaiting - totals.returned - totals.recognised
    return [("recognised", "Đã công nhận", totals.recognised),
            ("awaiting", "Chờ công nhận", totals.awaiting),
            ("returned", "Đã trả lại", totals.returned),
            ("not_passed", "Chưa đạt", not_passed),
            ("in_progress", "Đang làm", totals.in_progress),
            ("not_started", "Chưa làm", totals.not_started)]


def draw(figures) -> dict[str, Markup]:
    """The page's charts (SVG the chart functions escaped themselves)."""
    units = sorted(figures.by_unit, key=lambda r: -r.counts.registered)[:MOST_BARS]
    drawn = {
        "status": charts.stacked("Tình trạng của người đã đăng ký", status_parts(figures.totals)),
        "units": charts.bars("Số người đăng ký theo đơn vị",
                             [(r.name, r.counts.registered) for r in units]),
        "groups": charts.bars("Số người đăng ký theo đối tượng",
                              [(r.name, r.counts.registered) for r in figures.by_group]),
        "competences": charts.bars("Điểm trung bình theo năng lực (% điểm tối đa)",
                                   [(c.name, round((c.share or 0) * 100, 1)) for c in figures.by_competence],
                                   maximum=100, suffix=" %"),
        "months": charts.columns("Đăng ký và hoàn thành theo tháng",
                                 [f"T{m.month}" for m in figures.by_month],
                                 [("Đăng ký", [m.registered for m in figures.by_month]),
                                  ("Hoàn thành", [m.completed for m in figures.by_month])]),
    }
    return {key: Markup(svg) for key, svg in drawn.items()}


def register(bp, runtime) -> None:
    @bp.get("/")
    def dashboard():
        now = datetime.now(timezone.utc)
        with runtime.db.read() as session:
            try:
                choice = selection(session, now)
            except BadChoice as exc:
                return bad_request(str(exc))
            campaign = campaigns.current(session, choice.unit or g.officer.unit, choice.period,
                                         now.astimezone(TIMEZONE).date())
            # a running campaign's days are counted in the same query, not another scan
            figures = figures_of(session, g.scope, choice, runtime, now,
                                 window=campaigns.bounds(campaign) if campaign else None)
            crumbs = trail(session, g.scope, choice.unit)
            campaign_page = campaign is not None and g.scope.covers(campaign.unit)
        return render_template("admin/dashboard.html", title="Tổng quan", figures=figures,
                               campaign=campaign, campaign_page=campaign_page,
                               choice=choice, crumbs=crumbs, charts=draw(figures),
                               periods=periods(now), most_bars=MOST_BARS,
                               everything=g.scope.everything)

    @bp.get("/dashboard.json")
    def dashboard_json():
        now = datetime.now(timezone.utc)
        with runtime.db.read() as session:
            try:
                choice = selection(session, now)
            except BadChoice as exc:
                return bad_request(str(exc))
            figures = figures_of(session, g.scope, choice, runtime, now)
        return as_json(figures, choice.unit)
