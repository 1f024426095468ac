"""Sign-in, sign-out, password change and user management pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from points_app.accounts import links, services, sessions
from points_app.accounts.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    LoginForm,
    RoleForm,
    SetPasswordForm,
    SignOutEverywhereForm,
    UserForm,
)
from points_app.accounts.login_throttle import RateLimited, check_sign_in, claim_sign_in
from points_app.accounts.models import Role, RoleAssignment, User
from points_app.areas.models import Area
from points_app.areas.services import visible_areas
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import require, safe_next, unit_of_work
from points_app.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    # Signed in only while the session's row exists (accounts/sessions.py).
    return sessions.user_of_session(session_id)


login_manager.login_view = "accounts.login"
login_manager.login_message_category = "info"


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    from flask import jsonify

    if request.path.startswith("/api/"):
        body = {"error": {"code": "unauthorized", "message": "Sign in first."}}
        return jsonify(body), 401
    flash(_("Please sign in first."), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def role_label(role: Role | str) -> str:
    """The role's name in the current language."""
    return str(ROLE_LABELS[Role(role)])


@bp.app_context_processor
def _role_helpers() -> dict[str, Any]:
    return {"role_label": role_label}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            # The try is counted (and committed) before its password is checked.
            with unit_of_work():
                attempt = claim_sign_in(form.login.data or "", request.remote_addr or "")
        except RateLimited as error:
            form.password.errors = [error.message]
            return render_template("accounts/login.html", form=form), 429
        with unit_of_work():
            user = check_sign_in(attempt, form.password.data or "")
        if user is None:
            form.password.errors = [_("The username/phone or password is wrong.")]
        else:
            sign_in_browser(user, remember=bool(form.remember.data))
            return redirect(safe_next(url_for("core.home")))
    return render_template("accounts/login.html", form=form, scan_event=_scanned_event())


def _scanned_event() -> Any:
    """The event whose code this phone just scanned, when the sign-in was asked for by it."""
    from points_app.events.views.checkin import scanned_event_from

    return scanned_event_from(request.args.get("next") or "")


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    """Where a one-time link leads: choose a password, then be signed in."""
    try:
        link = links.find_password_link(token)
    except DomainError as error:
        return render_template("accounts/link_dead.html", message=error.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = links.use_password_link(token, form.new.data or "")
        except DomainError as error:
            if error.code != "weak_password":
                return render_template("accounts/link_dead.html", message=error.message), 410
            form.new.errors = [_(error.message)]
        else:
            if current_user.is_authenticated:
                with unit_of_work():
                    sessions.end_session(current_user)
            logout_user()
            sign_in_browser(user, remember=True)
            flash(_("Password set. You are signed in on this phone."), "success")
            return redirect(_after_first_sign_in())
    return render_template("accounts/set_password.html", form=form, user=link.user)


def _after_first_sign_in() -> str:
    """The check-in page of an event just scanned, else the home page."""
    from points_app.events.views.checkin import fresh_scanned_event_id

    event_id = fresh_scanned_event_id()
    if event_id is not None:
        return url_for("events.here", event_id=event_id)
    return url_for("core.home")


def sign_in_browser(user: User, *, remember: bool) -> None:
    """Start a session row for this browser and sign it in (one commit)."""
    with unit_of_work():
        sessions.start_session(
            user,
            remember=remember,
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string or "",
        )
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        with unit_of_work():
            sessions.end_session(current_user)
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/sessions", methods=["GET", "POST"])
@login_required
def account_sessions() -> Any:
    form = SignOutEverywhereForm()
    if form.validate_on_submit():
        with unit_of_work():
            sessions.end_all_sessions(
                current_user, actor=current_user, revoke_api_tokens=bool(form.api_tokens.data)
            )
        logout_user()
        flash(_("You have been signed out everywhere."), "info")
        return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/sessions.html",
        form=form,
        sessions=sessions.sessions_of(current_user),
        is_current=lambda row: sessions.is_current(row, current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        remembered = sessions.is_remembered(current_user)
        try:
            with unit_of_work():
                services.change_password(current_user, form.current.data or "", form.new.data or "")
                # Every browser and remember-me cookie stops working; this one signs in anew.
                sessions.end_all_sessions(
                    current_user,
                    actor=current_user,
                    revoke_api_tokens=bool(form.api_tokens.data),
                )
        except DomainError as error:
            field = form.current if error.code == "wrong_password" else form.new
            field.errors = [_(error.message)]
        else:
            sign_in_browser(current_user._get_current_object(), remember=remembered)
            flash(_("Your password has been changed. Other browsers are signed out."), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/change_password.html", form=form)


def _role_form() -> RoleForm:
    form = RoleForm()
    form.role.choices = [(r.value, role_label(r)) for r in Role]
    form.area_id.choices = [
        (a.id, "\u3000" * (len(a.ancestor_ids()) - 1) + a.name)
        for a in visible_areas(current_user, Permission.manage_users)
    ]
    return form


@bp.route("/users")
@login_required
def users() -> Any:
    require(Permission.manage_users)
    return render_template("accounts/users.html", users=services.users_visible_to(current_user))


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user() -> Any:
    require(Permission.manage_users)
    form = UserForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = services.create_user(
                    username=form.username.data or "",
                    password=form.password.data or "",
                    display_name=form.display_name.data or "",
                    phone=form.phone.data,
                    actor=current_user,
                )
        except DomainError as error:
            field = {"duplicate_phone": form.phone, "weak_password": form.password}.get(
                error.code, form.username
            )
            field.errors = [error.message]
        else:
            flash(_("User %(name)s created. Now give them a role.", name=user.username), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_form.html", form=form)


def _load_managed_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    visible = user.roles == [] or any(
        can(current_user, Permission.manage_users, ra.area) for ra in user.roles
    )
    if not visible:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_detail(user_id: int) -> Any:
    require(Permission.manage_users)
    user = _load_managed_user(user_id)
    form = _role_form()
    if form.validate_on_submit():
        area = db.session.get(Area, form.area_id.data)
        if area is None:
            abort(404)
        try:
            with unit_of_work():
                services.grant_role(user, Role(form.role.data), area, current_user)
        except DomainError as error:
            form.role.errors = [error.message]
        else:
            flash(_("Role granted."), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_detail.html", user=user, form=form)


@bp.route("/users/<int:user_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
@login_required
def revoke_role(user_id: int, assignment_id: int) -> Any:
    require(Permission.manage_users)
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user_id:
        abort(404)
    if not can(current_user, Permission.manage_users, assignment.area):
        abort(404)
    try:
        with unit_of_work():
            services.revoke_role(assignment, current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Role removed."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/enabled", methods=["POST"])
@login_required
def toggle_enabled(user_id: int) -> Any:
    require(Permission.manage_users)
    user = _load_managed_user(user_id)
    try:
        with unit_of_work():
            services.set_user_enabled(user, not user.is_enabled, current_user)
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("accounts.user_detail", user_id=user_id))
