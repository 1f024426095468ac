"""Community Love Points: the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, g, has_request_context, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from points_app.config import CONFIGS, Config, ProductionConfig
from points_app.core.db import configure_engine
from points_app.core.errors import DomainError
from points_app.core.web import install_id_converter
from points_app.extensions import babel, csrf, db, login_manager, migrate


def _select_locale() -> str:
    from flask import current_app
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, tests calling services directly
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return str(chosen)
    locale = getattr(current_user, "locale", None) if current_user else None
    if locale in languages:
        return str(locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _load_config(app: Flask, config: Any) -> None:
    if config is None:
        name = os.environ.get("POINTS_ENV", "development")
        config = CONFIGS[name]
    if isinstance(config, dict):
        app.config.from_object(CONFIGS["development"])
        app.config.update(config)
        return
    if isinstance(config, type) and issubclass(config, ProductionConfig):
        config.check()
    app.config.from_object(config)


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build the Flask application."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=os.path.join(os.path.dirname(os.path.dirname(__file__)), "instance"),
    )
    _load_config(app, config)
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        # A file on this machine needs no ping before each checkout; a server does.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    os.makedirs(app.instance_path, exist_ok=True)
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops:
        # The sign-in throttle counts per client address: take it from the proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    with app.app_context():
        configure_engine(db.engine)

    _register_models()
    install_id_converter(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_cli(app)

    @app.after_request
    def _remember_language(response: Any) -> Any:
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            response.set_cookie("lang", chosen, max_age=60 * 60 * 24 * 365, samesite="Lax")
        return response

    return app


def _register_models() -> None:
    # Import every model module so metadata is complete for Alembic and create_all.
    from points_app.accounts import login_throttle as _login_throttle  # noqa: F401
    from points_app.accounts import models as _accounts  # noqa: F401
    from points_app.api import models as _api  # noqa: F401
    from points_app.areas import models as _areas  # noqa: F401
    from points_app.core import audit as _audit  # noqa: F401
    from points_app.events import models as _events  # noqa: F401
    from points_app.issues import models as _issues  # noqa: F401
    from points_app.ledger import models as _ledger  # noqa: F401
    from points_app.people import models as _people  # noqa: F401
    from points_app.store import models as _store  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from points_app.accounts.views import bp as accounts_bp
    from points_app.api.views import bp as api_bp
    from points_app.areas.views import bp as areas_bp
    from points_app.core.views import bp as core_bp
    from points_app.events.views import bp as events_bp
    from points_app.issues.views import bp as issues_bp
    from points_app.ledger.views import bp as ledger_bp
    from points_app.open311.views import bp as open311_bp
    from points_app.people.views import bp as people_bp
    from points_app.store.views import bp as store_bp

    for bp in (core_bp, accounts_bp, areas_bp, people_bp, issues_bp, api_bp, events_bp):
        app.register_blueprint(bp)
    app.register_blueprint(store_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(open311_bp)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        from points_app.extensions import db as _db

        _db.session.rollback()
        if _wants_json():
            # e.g. Retry-After on rate_limited, WWW-Authenticate on unauthorized
            return jsonify(error.to_dict()), error.status, getattr(error, "headers", None) or {}
        return render_template("error.html", message=error.message, code=error.code), error.status

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        message = _l("This form has expired. Go back, reload the page and try again.")
        if _wants_json():
            return jsonify({"error": {"code": "csrf", "message": str(message)}}), 400
        return render_template("error.html", message=message, code="csrf"), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        messages = {
            400: _l("The request could not be understood."),
            401: _l("Sign in first."),
            403: _l("You may not open this page. Ask your community administrator if you need to."),
            404: _l("This page does not exist, or you may not see it."),
            405: _l("This action is not allowed here."),
            413: _l("The upload is too large."),
            429: _l("Too many tries. Wait a minute and try again."),
        }
        status = error.code or 500
        message = messages.get(status, error.description or "")
        codes = {
            400: "validation_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
            422: "validation_error", 429: "rate_limited",
        }  # fmt: skip
        if _wants_json():
            code = codes.get(status, f"http_{status}")
            body = jsonify({"error": {"code": code, "message": str(message)}})
            allow = error.get_response().headers.get("Allow")
            return body, status, {"Allow": allow} if allow else {}
        return render_template("error.html", message=message, code=status), status

    @app.errorhandler(500)
    def _server_error(error: Exception) -> Any:
        message = _l("Something went wrong on our side. Nothing was saved; please try again.")
        if _wants_json():
            return jsonify({"error": {"code": "server_error", "message": str(message)}}), 500
        return render_template("error.html", message=message, code=500), 500


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from points_app.core.dates import install_date_filters
    from points_app.core.permissions import Permission, can

    install_date_filters(app)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "can": lambda perm, area=None: can(current_user, Permission(perm), area),
            "current_locale": str(g.get("_locale", "")) or _select_locale(),
        }


def _register_cli(app: Flask) -> None:
    from points_app.cli import register

    register(app)
