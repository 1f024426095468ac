"""Report pages: the dashboard, the lists behind its figures, contributions, exports."""

from __future__ import annotations

import os
import tempfile
from itertools import islice
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area
from points_app.areas.services import visible_areas
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission
from points_app.core.web import load_or_404, page_number, require
from points_app.extensions import db
from points_app.reports import exports
from points_app.reports.contributions import contributions_across
from points_app.reports.dashboard import dashboard_charts, sorted_comparison
from points_app.reports.figures import FIGURES, REPORT_LEVELS, compute_figures
from points_app.reports.forms import PeriodForm
from points_app.reports.labels import FIGURE_LABELS, FIGURE_LISTS
from points_app.reports.period import Period, make_period, preset
from points_app.reports.sources import SOURCES, Query

bp = Blueprint("reports", __name__, url_prefix="/reports")
REPORTS = Permission.view_reports
PER_PAGE = 50


def _picker() -> tuple[PeriodForm, Area, Period, str | None]:
    """The area and period asked for: the user's own area and this month by default."""
    require(REPORTS)
    areas = visible_areas(current_user, REPORTS, *REPORT_LEVELS)
    if not areas:
        abort(403)
    form = PeriodForm(request.args)
    form.fill_choices([(a.id, "\u3000" * (len(a.ancestor_ids()) - 1) + a.name) for a in areas])
    area = load_or_404(Area, form.area.data, REPORTS) if form.area.data else areas[0]
    if area.level not in REPORT_LEVELS:
        abort(404)
    form.area.data = area.id
    error = None
    choice = form.period.data if form.period.data in ("month", "quarter", "year") else "custom"
    if choice != "custom" or not (form.start.data or form.end.data):
        period = preset(choice if choice != "custom" else "month")
    else:
        try:
            period = make_period(form.start.data or None, form.end.data or None)
        except DomainError as failure:
            error = str(failure.message)
            choice, period = "month", preset("month")
    form.period.data = choice
    form.start.data, form.end.data = period.start.isoformat(), period.end.isoformat()
    return form, area, period, error


def _args(area: Area, period: Period, **more: Any) -> dict[str, Any]:
    return {"area": area.id, "period": "custom", "start": period.start.isoformat(),
            "end": period.end.isoformat(), **more}  # fmt: skip


@bp.route("/")
@login_required
def dashboard() -> Any:
    form, area, period, error = _picker()
    figures = compute_figures(area, period)
    sort = request.args.get("sort", "issues_resolved")
    if sort not in FIGURES and sort != "name":
        sort = "issues_resolved"
    descending = request.args.get("dir", "desc") != "asc"
    comparison = sorted_comparison(figures, sort, descending)
    args = _args(area, period)
    return render_template(
        "reports/dashboard.html",
        form=form, area=area, period=period, error=error, figures=figures,
        keys=FIGURES, labels=FIGURE_LABELS, lists=FIGURE_LISTS, args=args,
        charts=dashboard_charts(figures, comparison, sort, args),
        comparison=comparison, sort=sort, descending=descending,
    ), 422 if error else 200  # fmt: skip


@bp.route("/list/<kind>")
@login_required
def rows(kind: str) -> Any:
    form, area, period, error = _picker()
    source = SOURCES.get(kind) or abort(404)
    query = _query(source, area, period)
    page = page_number()
    shown = list(islice(source.rows(query), (page - 1) * PER_PAGE, page * PER_PAGE + 1))
    return render_template(
        "reports/rows.html",
        form=form, area=area, period=period, error=error, source=source, query=query,
        rows=shown[:PER_PAGE], has_next=len(shown) > PER_PAGE, page=page,
        args=_args(area, period, filter=query.filter), kind=kind,
    )  # fmt: skip


def _query(source: Any, area: Area, period: Period) -> Query:
    query = Query(area=area, period=period, filter=request.args.get("filter", ""))
    if query.filter not in source.filters:
        abort(404)
    query.unmasked = exports.may_unmask(current_user, query)
    return query


@bp.route("/contributions")
@login_required
def contributions() -> Any:
    form, area, period, error = _picker()
    return render_template(
        "reports/contributions.html",
        form=form, area=area, period=period, error=error,
        found=contributions_across(area, period), args=_args(area, period),
    )  # fmt: skip


@bp.route("/export/<kind>.<fmt>")
@login_required
def export(kind: str, fmt: str) -> Any:
    form, area, period, error = _picker()
    source = SOURCES.get(kind) or abort(404)
    if fmt not in exports.FORMATS or error:
        abort(404)
    query = _query(source, area, period)
    count = source.count(query)
    if count > exports.PAGE_LIMIT:
        command = (
            f"flask --app points_app report export {kind} --area {area.code} "
            f"--from {period.start} --to {period.end} --format {fmt} --output FILE"
        )
        message = _(
            "This export has %(n)s rows, more than the %(limit)s a page can serve. Choose a "
            "shorter period or a smaller area, or ask county staff to run: %(command)s",
            n=count, limit=exports.PAGE_LIMIT, command=command,
        )  # fmt: skip
        return render_template("error.html", message=message, code="export_too_large"), 413
    exports.audit_export(current_user, source, query, fmt=fmt, rows=count, via="page")
    db.session.commit()
    name = f"{kind}-{area.code}-{period.start}-{period.end}.{fmt}"
    if fmt == "csv":
        return Response(
            stream_with_context(exports.csv_chunks(source, query)),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    exports.write_xlsx(source, query, path)
    reply = send_file(path, mimetype=exports.XLSX_MIME, as_attachment=True, download_name=name)
    reply.call_on_close(lambda: os.unlink(path))
    return reply
