"""Community Love Points: the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import NoInspectionAvailable
from werkzeug.middleware.proxy_fix import ProxyFix

from points_app.config import CONFIGS, Config, ProductionConfig
from points_app.core.crypto import EXTENSION as KEYRING
from points_app.core.crypto import keyring_from_config
from points_app.core.db import configure_engine, create_private_sqlite_file
from points_app.core.logs import install_log_scrubbing
from points_app.core.memory import freeze_startup_objects
from points_app.core.safe_input import install_input_checks
from points_app.core.search import install_search_helpers
from points_app.core.security_headers import install_security_headers
from points_app.core.web import install_id_converter
from points_app.extensions import babel, csrf, db, login_manager, migrate


def _select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, tests calling services directly
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return str(chosen)
    locale = _user_locale()
    if locale in languages:
        return str(locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _user_locale() -> str | None:
    """The signed-in user's language; while answering an error, only if already loaded."""
    from flask_login import current_user

    from points_app.core.error_handlers import is_answering_error

    if not is_answering_error():
        return getattr(current_user, "locale", None) if current_user else None
    # No query now: the session may be broken. Read what the user's row already holds.
    user = g.get("_login_user")
    try:
        state = sa_inspect(user)
    except NoInspectionAvailable:  # not signed in, or not loaded yet
        return None
    locale = state.dict.get("locale")
    return str(locale) if locale else None


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
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    # A database error in the log names the statement, never the personal data bound to it.
    options["hide_parameters"] = True
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        # A file on this machine needs no ping before each checkout; a server does.
        options.pop("pool_pre_ping", None)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    os.makedirs(app.instance_path, exist_ok=True)
    create_private_sqlite_file(str(app.config.get("SQLALCHEMY_DATABASE_URI", "")))
    app.extensions[KEYRING] = keyring_from_config(app.config)
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
    install_input_checks(app)
    install_security_headers(app)
    install_search_helpers(app)
    install_log_scrubbing()
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

    if not app.testing:
        freeze_startup_objects()
    return app


def _register_models() -> None:
    # Import every model module so metadata is complete for Alembic and create_all.
    from points_app.accounts import login_throttle as _login_throttle  # noqa: F401
    from points_app.accounts import models as _accounts  # noqa: F401
    from points_app.accounts import sessions as _sessions  # noqa: F401
    from points_app.api import models as _api  # noqa: F401
    from points_app.areas import models as _areas  # noqa: F401
    from points_app.core import audit as _audit  # noqa: F401
    from points_app.events import legal as _legal  # noqa: F401
    from points_app.events import models as _events  # noqa: F401
    from points_app.issues import models as _issues  # noqa: F401
    from points_app.ledger import models as _ledger  # noqa: F401
    from points_app.ledger import pending as _pending  # noqa: F401
    from points_app.people import models as _people  # noqa: F401
    from points_app.recognition import models as _recognition  # noqa: F401
    from points_app.reports import models as _reports  # noqa: F401
    from points_app.reports import rollup as _rollup  # noqa: F401  (its `ledger verify` check)
    from points_app.store import models as _store  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from points_app.accounts.views import bp as accounts_bp
    from points_app.api.views import bp as api_bp
    from points_app.areas.views import bp as areas_bp
    from points_app.audit.views import bp as audit_bp
    from points_app.core.views import bp as core_bp
    from points_app.events.views import bp as events_bp
    from points_app.issues.views import bp as issues_bp
    from points_app.ledger import give_views  # noqa: F401  (its routes join the ledger's)
    from points_app.ledger.views import bp as ledger_bp
    from points_app.open311.views import bp as open311_bp
    from points_app.people.views import bp as people_bp
    from points_app.recognition.views import bp as recognition_bp
    from points_app.reports.views import bp as reports_bp
    from points_app.store.views import bp as store_bp

    for bp in (core_bp, accounts_bp, areas_bp, people_bp, issues_bp, api_bp, events_bp):
        app.register_blueprint(bp)
    app.register_blueprint(store_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(recognition_bp)
    app.register_blueprint(reports_bp)


def _register_error_handlers(app: Flask) -> None:
    from points_app.core.error_handlers import register_error_handlers

    register_error_handlers(app)


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from points_app.core.date_display import install_date_filters
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
