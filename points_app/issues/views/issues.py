"""Issue pages: the list, my issues, the quick form, the issue, its moves and photos."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_login import current_user, login_required

from points_app.areas.models import Area, AreaLevel
from points_app.core import qr
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.search import search_text, settle_search
from points_app.core.web import load_or_404, page_number, require, unit_of_work
from points_app.extensions import db
from points_app.issues import deadlines, photos, queries, services, workflow
from points_app.issues.forms import (
    EvaluationForm,
    IssueFilterForm,
    MoveForm,
    PhotoForm,
    RaiseIssueForm,
)
from points_app.issues.labels import level_label, state_label
from points_app.issues.models import (
    Issue,
    IssueCategory,
    IssueChannel,
    IssuePhoto,
    IssueState,
    TalkSession,
)
from points_app.issues.privacy import scrub_issue_text
from points_app.issues.views import area_choices, bp
from points_app.issues.views.talks import load_session

VIEW = queries.VIEW
ISSUE_LEVELS = (AreaLevel.community, AreaLevel.grid, AreaLevel.microgrid)

# Which form field shows a refusal, by its code; the rest show beside the note.
MOVE_ERROR_FIELDS = {
    "level_required": "level",
    "not_higher_level": "level",
    "decision_required": "decision",
    "wrong_session": "session_id",
    "merge_target_required": "merge_into",
    "invalid_merge": "merge_into",
}
RAISE_ERROR_FIELDS = {
    "title_required": "title",
    "invalid_area": "area_id",
    "forbidden": "area_id",
    "invalid_phone": "resident_phone",
    "wrong_session": "title",
    "not_an_image": "photo",
    "photo_too_large": "photo",
    "too_many_photos": "photo",
}


FILTERS = ("state", "category", "area", "overdue")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Any:
    require(VIEW)
    # The search text is POSTed and held in the session, never in the address.
    if (response := settle_search("issues.index", FILTERS)) is not None:
        return response
    form = IssueFilterForm(request.args)
    form.q.data = search_text()
    form.area.choices = [(0, _("Any area"))] + area_choices(current_user, VIEW)
    form.validate()
    for name in ("state", "category", "area", "q"):
        if getattr(form, name).errors:
            getattr(form, name).data = None  # ignore a filter that makes no sense
    area = load_or_404(Area, form.area.data, VIEW) if form.area.data else None
    today = deadlines.today()
    issues, has_next = queries.list_issues(
        current_user,
        today=today,
        state=IssueState(form.state.data) if form.state.data else None,
        area=area,
        category=IssueCategory(form.category.data) if form.category.data else None,
        overdue=bool(form.overdue.data),
        text=form.q.data or "",
        page=page_number(),
    )
    args = {k: v for k, v in request.args.items() if k not in ("page", "q")}
    return render_template(
        "issues/index.html", form=form, issues=issues, has_next=has_next, today=today, args=args
    )


@bp.route("/mine")
@login_required
def mine() -> Any:
    require(VIEW)
    return render_template(
        "issues/mine.html", issues=queries.my_open_issues(current_user), today=deadlines.today()
    )


def _raise_form() -> RaiseIssueForm:
    form = RaiseIssueForm()
    form.area_id.choices = area_choices(current_user, Permission.raise_issue, *ISSUE_LEVELS)
    if request.method == "GET":
        grids = [ra.area_id for ra in current_user.roles if ra.area.level is AreaLevel.grid]
        own = grids[0] if grids else None
        if own is not None:
            form.area_id.data = own
        form.channel.data = IssueChannel.grid_visit.value
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    require(Permission.raise_issue)
    form = _raise_form()
    session_id = request.values.get("session", type=int) or None
    session = load_session(session_id) if session_id else None
    if session is not None and request.method == "GET":
        form.channel.data = IssueChannel.talk_session.value
        form.area_id.data = session.area_id
    if form.validate_on_submit():
        try:
            prepared = []
            if form.photo.data:
                prepared.append(photos.prepare_photo(form.photo.data.stream))
            area = db.session.get(Area, form.area_id.data)
            if area is None:
                abort(404)
            with unit_of_work():
                issue = services.raise_issue(
                    actor=current_user,
                    area=area,
                    title=form.title.data or "",
                    category=form.category.data or "",
                    channel=form.channel.data or "",
                    description=form.description.data or "",
                    resident_name=form.resident_name.data,
                    resident_phone=form.resident_phone.data,
                    is_anonymous=bool(form.is_anonymous.data),
                    session=session,
                    photos=prepared,
                )
        except DomainError as error:
            getattr(form, RAISE_ERROR_FIELDS.get(error.code, "title")).errors = [error.message]
        else:
            photos.write_photo_files(prepared)
            flash(_("Issue #%(id)s recorded.", id=issue.id), "success")
            # The saved issue's page then offers to record another (at the same session).
            flask_session["record_another"] = [issue.id, session.id if session else None]
            return redirect(url_for("issues.detail", issue_id=issue.id))
    photo_mb = round(photos.max_bytes() / 1024 / 1024, 1)
    return render_template("issues/new.html", form=form, session=session, photo_mb=photo_mb)


def _move_form(issue: Issue, dst: IssueState, formdata: Any = None) -> MoveForm:
    form = MoveForm(formdata=formdata, prefix=dst.value)
    if dst is IssueState.handling and issue.state is IssueState.handling:
        levels = workflow.escalation_levels(issue)
    else:
        levels = list(workflow.HandlingLevel)
    form.level.choices = [(lv.value, level_label(lv)) for lv in levels]
    sessions = queries.recent_sessions_for(issue, current_user)
    form.session_id.choices = [(0, _("— none —"))] + [
        (s.id, f"{s.held_on.isoformat()} · {s.area.name} · {s.place}") for s in sessions
    ]
    return form


def _render_detail(
    issue: Issue,
    *,
    failed: tuple[IssueState, MoveForm] | None = None,
    evaluation_form: EvaluationForm | None = None,
    photo_form: PhotoForm | None = None,
    revealed: tuple[str, str] | None = None,
    refusal: Any = None,
    status: int = 200,
    record_another: str | None = None,
) -> Any:
    moves = []
    for dst in workflow.moves_for(issue, current_user):
        if failed is not None and failed[0] is dst:
            moves.append((dst, failed[1]))
        else:
            moves.append((dst, _move_form(issue, dst)))
    if failed is not None and failed[0] not in dict(moves):
        # The move is not on offer (any more): say why at the top instead.
        refusal = next((e for errors in failed[1].errors.values() for e in errors), None)
    rating_url = rating_qr = None
    can_handle = can(current_user, Permission.handle_issue, issue.area)
    if issue.state is IssueState.evaluating and can_handle:
        rating_url = url_for("issues.rate", token=services.rating_token(issue), _external=True)
        rating_qr = qr.svg(rating_url, box_size=6)
    page = render_template(
        "issues/detail.html",
        issue=issue,
        record_another=record_another,
        today=deadlines.today(),
        moves=moves,
        refusal=refusal,
        evaluation_form=evaluation_form or EvaluationForm(formdata=None),
        photo_form=photo_form or PhotoForm(formdata=None),
        revealed=revealed,
        # As typed only after the audited "show contact"; otherwise names and numbers masked.
        description=issue.description if revealed else scrub_issue_text(issue, issue.description),
        can_handle=can_handle,
        rating_url=rating_url,
        rating_qr=rating_qr,
        contributions=queries.contributions(issue),
        max_photos=photos.MAX_PHOTOS_PER_ISSUE,
    )
    return page, status


@bp.route("/<int:issue_id>")
@login_required
def detail(issue_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, VIEW)
    return _render_detail(issue, record_another=_record_another(issue))


def _record_another(issue: Issue) -> str | None:
    """The quick form's address, right after this issue was recorded with it (once)."""
    just = flask_session.get("record_another")
    if not just or just[0] != issue.id:
        return None
    flask_session.pop("record_another")
    return url_for("issues.new", session=just[1]) if just[1] else url_for("issues.new")


def _move_target(form: MoveForm) -> tuple[TalkSession | None, Issue | None]:
    session = target = None
    if form.session_id.data:
        session = db.session.get(TalkSession, form.session_id.data)
        if session is None or not queries.can_see_session(current_user, session):
            session = None
    if form.merge_into.data:
        target = db.session.get(Issue, form.merge_into.data)
        if target is None or not can(current_user, VIEW, target.area):
            message = _("There is no issue #%(id)s you may see.", id=form.merge_into.data)
            raise DomainError("invalid_merge", message, 422)
    return session, target


@bp.route("/<int:issue_id>/move/<to>", methods=["POST"])
@login_required
def move(issue_id: int, to: str) -> Any:
    issue = load_or_404(Issue, issue_id, VIEW)
    dst = workflow.parse_state(to)
    form = _move_form(issue, dst, formdata=request.form)
    if form.validate_on_submit():
        try:
            session, target = _move_target(form)
            with unit_of_work():
                workflow.transition(
                    issue,
                    dst,
                    actor=current_user,
                    note=form.note.data or "",
                    level=form.level.data or None,
                    decision=form.decision.data,
                    session=session,
                    merge_into=target,
                )
        except DomainError as error:
            db.session.refresh(issue)
            getattr(form, MOVE_ERROR_FIELDS.get(error.code, "note")).errors = [error.message]
            return _render_detail(issue, failed=(dst, form), status=error.status)
        flash(_("Moved to %(state)s.", state=state_label(dst)), "success")
        return redirect(url_for("issues.detail", issue_id=issue.id))
    return _render_detail(issue, failed=(dst, form), status=422)


@bp.route("/<int:issue_id>/evaluation", methods=["POST"])
@login_required
def evaluate(issue_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, VIEW)
    form = EvaluationForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                evaluation = workflow.evaluate_issue(
                    issue,
                    actor=current_user,
                    satisfaction=int(form.satisfaction.data),
                    solved=form.solved.data == "yes",
                    comment=form.comment.data or "",
                )
        except DomainError as error:
            db.session.refresh(issue)
            if issue.state is not IssueState.evaluating:
                return _render_detail(issue, refusal=error.message, status=error.status)
            form.satisfaction.errors = [error.message]
            return _render_detail(issue, evaluation_form=form, status=error.status)
        if evaluation.is_accepted:
            flash(_("Thank you. The issue is closed."), "success")
        else:
            flash(_("The issue goes back to handling."), "info")
        return redirect(url_for("issues.detail", issue_id=issue.id))
    return _render_detail(issue, evaluation_form=form, status=422)


@bp.route("/<int:issue_id>/photos", methods=["POST"])
@login_required
def add_photo(issue_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, VIEW)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            if not form.photo.data:
                raise DomainError("photo_required", _("Choose a photo to upload."), 422)
            prepared = [photos.prepare_photo(form.photo.data.stream)]
            with unit_of_work():
                services.add_photos(issue, prepared, actor=current_user)
        except DomainError as error:
            db.session.refresh(issue)
            if issue.state.is_terminal:
                return _render_detail(issue, refusal=error.message, status=error.status)
            form.photo.errors = [error.message]
            return _render_detail(issue, photo_form=form, status=error.status)
        photos.write_photo_files(prepared)
        flash(_("Photo added."), "success")
    return redirect(url_for("issues.detail", issue_id=issue.id))


@bp.route("/<int:issue_id>/photos/<int:photo_id>")
@login_required
def photo(issue_id: int, photo_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, VIEW)
    row = db.session.get(IssuePhoto, photo_id)
    if row is None or row.issue_id != issue.id:
        abort(404)
    path = photos.stored_path(row.filename)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:issue_id>/contact", methods=["POST"])
@login_required
def reveal_contact(issue_id: int) -> Any:
    issue = load_or_404(Issue, issue_id, VIEW)
    with unit_of_work():
        revealed = services.reveal_resident_contact(issue, actor=current_user)
    return _render_detail(issue, revealed=revealed)
