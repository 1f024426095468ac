"""Error answers: each part of the app in its own format, and never needing the database.

`/api/...` answers `{"error": {"code", "message"}}`, `/open311/...` GeoReport's error list
(JSON or XML by the path's extension), every other path the HTML error page. Each handler
first settles the language (from what is already loaded, never a query) and rolls the
session back, so a request whose transaction broke (`PendingRollbackError`) still gets
its error in its own format; if the page cannot be rendered with the signed-in user's
parts (the database is down), it is rendered without them.
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, Response, has_request_context, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from points_app.core.errors import DomainError
from points_app.extensions import db

# On the request itself, not on `g`: an app context (as in tests) may outlive a request.
ANSWERING_ERROR = "points_app.answering_error"

HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Sign in first."),
    403: _l("You may not open this page. Ask your community administrator if you need to."),
    404: _l("This page does not exist, or you may not see it."),
    405: _l("This action is not allowed here."),
    413: _l("The upload is too large."),
    429: _l("Too many tries. Wait a minute and try again."),
}
HTTP_CODES = {
    400: "validation_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_error", 429: "rate_limited",
}  # fmt: skip
SERVER_ERROR = _l("Something went wrong on our side. Nothing was saved; please try again.")


def is_answering_error() -> bool:
    """True while an error handler runs: nothing may then need the database."""
    return has_request_context() and bool(request.environ.get(ANSWERING_ERROR))


def _settle() -> None:
    """Choose the language while what is loaded is still readable, then roll back."""
    request.environ[ANSWERING_ERROR] = True
    get_locale()
    # If the connection is gone there is nothing left to undo.
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()


def _error_page(message: Any, code: Any, status: int) -> tuple[str, int]:
    try:
        return render_template("error.html", message=message, code=code), status
    except SQLAlchemyError:
        # The navigation needs the user's roles; without a database show the page bare.
        db.session.rollback()
        bare = render_template(
            "error.html",
            message=message,
            code=code,
            current_user=AnonymousUserMixin(),
            can=lambda *args, **kwargs: False,
        )
        return bare, status


def error_answer(
    status: int, code: str, message: Any, headers: dict[str, str] | None = None
) -> Any:
    """The error in the format of the part of the app the request went to."""
    _settle()
    headers = headers or {}
    if request.path.startswith("/open311/"):
        from points_app.open311.formats import error_response

        fmt = "xml" if request.path.endswith(".xml") else "json"
        answer: Response = error_response(status, str(message), fmt)
        answer.headers.update(headers)
        return answer
    if request.path.startswith("/api/"):
        return jsonify({"error": {"code": code, "message": str(message)}}), status, headers
    page, status = _error_page(message, code, status)
    return page, status, headers


def register_error_handlers(app: Flask) -> None:
    """Answer DomainError, CSRF failures, HTTP errors and crashes in each part's format."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        headers = getattr(error, "headers", None) or {}
        if request.path.startswith("/api/"):
            # e.g. Retry-After on rate_limited, WWW-Authenticate on unauthorized
            _settle()
            return jsonify(error.to_dict()), error.status, headers
        return error_answer(error.status, error.code, error.message, headers)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        message = _l("This form has expired. Go back, reload the page and try again.")
        return error_answer(400, "csrf", message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        message = HTTP_MESSAGES.get(status, error.description or "")
        allow = error.get_response().headers.get("Allow")
        headers = {"Allow": allow} if allow else {}
        if request.path.startswith("/api/"):
            return error_answer(status, HTTP_CODES.get(status, f"http_{status}"), message, headers)
        return error_answer(status, str(status), message, headers)

    @app.errorhandler(500)
    def _server_error(error: Exception) -> Any:
        return error_answer(500, "server_error", SERVER_ERROR)
