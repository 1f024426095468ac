"""Sign-in, sign-out, password change and user management pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from points_app.accounts import services
from points_app.accounts.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    LoginForm,
    RoleForm,
    UserForm,
)
from points_app.accounts.login_throttle import RateLimited, sign_in
from points_app.accounts.models import Role, RoleAssignment, User
from points_app.areas.models import Area
from points_app.areas.services import visible_areas
from points_app.core.errors import DomainError
from points_app.core.permissions import Permission, can
from points_app.core.web import require, safe_next, unit_of_work
from points_app.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None


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
            with unit_of_work():
                user = sign_in(
                    form.login.data or "", form.password.data or "", ip=request.remote_addr or ""
                )
        except RateLimited as error:
            form.password.errors = [error.message]
            return render_template("accounts/login.html", form=form), 429
        if user is None:
            form.password.errors = [_("The username/phone or password is wrong.")]
        else:
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(url_for("core.home")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.change_password(current_user, form.current.data or "", form.new.data or "")
        except DomainError as error:
            field = form.current if error.code == "wrong_password" else form.new
            field.errors = [_(error.message)]
        else:
            flash(_("Your password has been changed."), "success")
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
