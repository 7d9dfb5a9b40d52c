"""CBPAR Workspace: community-based participatory action research, in one Flask app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, flash, g, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from cbpar import privacy, static_assets
from cbpar.access import can
from cbpar.config import (
    Defaults,
    asset_folder,
    check_secret_key,
    default_database_url,
    ensure_secret_key,
    from_environment,
    instance_path,
)
from cbpar.extensions import babel, csrf, limiter, login_manager
from cbpar.i18n import (
    LOCALE_NAMES,
    SUPPORTED_LOCALES,
    html_lang,
    local_time,
    select_locale,
    zone_name,
)
from cbpar.security import Cap, Role
from cbpar.text import markdown_markup
from cbpar.web import IntConverter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Make an app: defaults, then instance/config.py, then CBPAR_* variables, then `config`."""
    overrides = dict(config or {})
    folder = instance_path(overrides)
    app = Flask(
        __name__,
        template_folder=str(asset_folder("templates")),
        static_folder=str(asset_folder("static")),
        instance_path=str(folder),
        instance_relative_config=True,
    )
    # Before any route is added: every <int:...> answers 404 beyond the databases' integers.
    app.url_map.converters["int"] = IntConverter
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    from_environment(app.config)
    app.config.update(overrides)
    _finish_config(app)
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    _init_extensions(app)
    static_assets.init_app(app)
    _register_features(app)
    _init_templates(app)

    # import here: core.hooks is a feature, and every feature imports this package first
    from cbpar.core import hooks

    hooks.init_app(app)
    return app


def _finish_config(app: Flask) -> None:
    cfg = app.config
    folder = Path(app.instance_path)
    if not cfg.get("DATABASE_URL"):
        folder.mkdir(parents=True, exist_ok=True)
        cfg["DATABASE_URL"] = default_database_url(folder)
    ensure_secret_key(cfg, folder)
    if not (app.debug or app.testing):
        problem = check_secret_key(cfg["SECRET_KEY"])
        if problem:
            raise RuntimeError(f"Refusing to start in production mode: {problem}")
    storage = str(cfg.get("ATTACHMENT_STORAGE") or "folder").strip().lower()
    if storage not in ("folder", "database"):
        raise RuntimeError("CBPAR_ATTACHMENT_STORAGE must be folder or database.")
    cfg["ATTACHMENT_STORAGE"] = storage
    secure = bool(cfg.get("HTTPS"))
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["REMEMBER_COOKIE_SECURE"] = secure
    cfg["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    # CSRF is checked by our own hook, which lets token-only API requests through.
    cfg["WTF_CSRF_CHECK_DEFAULT"] = False


def _init_extensions(app: Flask) -> None:
    # import here: auth is a feature, and every feature imports this package first; a `db`
    # at the top of this module would hide the `cbpar.db` module
    from cbpar.auth.services import load_user, user_for_token
    from cbpar.db import db

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.user_loader(load_user)

    @login_manager.request_loader
    def from_bearer_token(req):
        header = req.headers.get("Authorization", "")
        if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
            return None
        user = user_for_token(header[7:].strip())
        if user is not None:
            g.bearer_auth = True
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(error="unauthorized", message="Log in or send a valid API token."), 401
        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _register_features(app: Flask) -> None:
    """Each feature's blueprint, then what it contributes to the shared features (links,
    search, the home page, attachments, comments, template helpers): its one plug-in point,
    `integration.init_app(app)`. Importing a feature registers nothing."""
    # import here: every feature imports cbpar's core modules, which import this package first
    from cbpar import (
        api,
        attachments,
        auth,
        care,
        comments,
        core,
        field,
        initiatives,
        interviews,
        mapping,
        meetings,
        memos,
        needs,
        notify,
        openrosa,
        projects,
        qda,
        transfer,
    )
    from cbpar.attachments import integration as attachments_integration
    from cbpar.care import integration as care_integration
    from cbpar.comments import integration as comments_integration
    from cbpar.field import integration as field_integration
    from cbpar.initiatives import integration as initiatives_integration
    from cbpar.interviews import integration as interviews_integration
    from cbpar.mapping import integration as mapping_integration
    from cbpar.meetings import integration as meetings_integration
    from cbpar.memos import integration as memos_integration
    from cbpar.needs import integration as needs_integration
    from cbpar.notify import integration as notify_integration
    from cbpar.openrosa import integration as openrosa_integration
    from cbpar.projects import integration as projects_integration
    from cbpar.qda import integration as qda_integration

    # The features in the order their blueprints are registered, each with its plug-in point.
    features = (
        (core, None),
        (auth, None),
        (projects, projects_integration),
        (mapping, mapping_integration),
        (memos, memos_integration),
        (interviews, interviews_integration),
        (comments, comments_integration),
        (attachments, attachments_integration),
        (meetings, meetings_integration),
        (needs, needs_integration),
        (initiatives, initiatives_integration),
        (care, care_integration),
        (field, field_integration),
        (notify, notify_integration),
        (qda, qda_integration),
        (openrosa, openrosa_integration),
        (transfer, None),
        (api, None),
    )
    for feature, integration in features:
        app.register_blueprint(feature.bp)
        if integration is not None:
            integration.init_app(app)


def _init_templates(app: Flask) -> None:
    # import here: core.hooks is a feature, and every feature imports this package first
    from cbpar.core.hooks import csp_nonce

    app.jinja_env.globals.update(
        can=can,
        Cap=Cap,
        Role=Role,
        csp_nonce=csp_nonce,
        LOCALE_NAMES=LOCALE_NAMES,
        SUPPORTED_LOCALES=SUPPORTED_LOCALES,
        current_locale=lambda: str(get_locale() or "en"),
        html_lang=html_lang,
        zone_name=zone_name,
    )
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["markdown"] = markdown_markup
    privacy.init_app(app)
