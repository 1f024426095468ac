"""Home page per role, language switch, health check."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import text

from points_app.core import qr
from points_app.core.web import safe_next
from points_app.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
@login_required
def home() -> Any:
    roles = sorted({ra.role.value for ra in current_user.roles})
    return render_template("core/home.html", roles=roles)


@bp.route("/lang/<code>")
def set_language(code: str) -> Any:
    response = redirect(safe_next(url_for("core.home")))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=60 * 60 * 24 * 365, samesite="Lax")
    return response


@bp.route("/q/<path:token>")
def scan_landing(token: str) -> Any:
    """Where every QR code of this app leads: verify it, then hand it to its feature."""
    scanned = qr.verify(token)
    handler = qr.landing_for(scanned.kind)
    if handler is None:
        abort(404)
    return handler(scanned)


@bp.route("/healthz")
def healthz() -> Any:
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


@bp.route("/hello")
def hello() -> Any:
    """A bare route, the baseline for throughput benchmarks."""
    return "hello", 200, {"Content-Type": "text/plain"}


@bp.app_context_processor
def _request_helpers() -> dict[str, Any]:
    def has_endpoint(name: str) -> bool:
        """True if a page exists (so the navigation links only to pages this build has)."""
        return name in current_app.view_functions

    return {
        "request_path": request.full_path.rstrip("?") if request else "/",
        "has_endpoint": has_endpoint,
    }
