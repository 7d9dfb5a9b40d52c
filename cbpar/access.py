"""The guards on every view: @public, @require_login, @require_admin and @require(Cap.X),
and can() for templates. They read the request (`g`, `current_user`) and answer 401, 403 or
404; the rules they apply (roles, capabilities) are in cbpar/security.py, which knows nothing
of requests.

@require finds a project and the user's membership of it through the loader the projects
feature sets with `project_loader(app, ...)` (as Flask-Login's `user_loader`), so this
module imports no feature.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, g, request
from flask_login import current_user

from cbpar import registry
from cbpar.extensions import login_manager
from cbpar.security import Cap, membership_can

# (slug, user) -> (project, membership); (None, None) when the user is not a member
ProjectLoader = Callable[[str, Any], tuple[Any, Any]]


def project_loader(app: Flask, loader: ProjectLoader) -> None:
    """Set how @require loads the project named by a URL's `slug` for the current user."""
    registry.slot("access", dict, app)["project_loader"] = loader


def can(cap: Cap | str) -> bool:
    """For templates: may the current user do this in the current project?"""
    return membership_can(g.get("membership"), Cap(cap))


def _guard(
    label: str | Cap, check: Callable[..., Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view: log-in first, then `check(kwargs)`, which may abort or rewrite kwargs."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            return view(*args, **check(kwargs))

        wrapped.required_capability = label  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require(
    cap: Cap, write: Cap | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load the project named by `slug` for a member, and check one capability.

    Non-members get 404 (so project names do not leak); members without the capability 403.
    A page that shows on GET and changes something on POST names both: `write` is checked for
    every method but GET and HEAD, so the view body never checks a capability itself.
    The view receives `project` instead of `slug`.
    """

    def check(kwargs: dict[str, Any]) -> dict[str, Any]:
        load = registry.slot("access", dict)["project_loader"]
        project, membership = load(kwargs.pop("slug"), current_user)
        if project is None:
            abort(404)
        g.project, g.membership = project, membership
        if not membership_can(membership, cap):
            abort(403)
        writing = request.method not in ("GET", "HEAD")
        if write is not None and writing and not membership_can(membership, write):
            abort(403)
        return {**kwargs, "project": project}

    decorator = _guard(cap, check)
    if write is None:
        return decorator

    def with_write(view: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = decorator(view)
        wrapped.write_capability = write  # type: ignore[attr-defined]
        return wrapped

    return with_write


def _admin_only(kwargs: dict[str, Any]) -> dict[str, Any]:
    if not current_user.is_admin:
        abort(403)
    return kwargs


require_admin = _guard("site_admin", _admin_only)
require_login = _guard("authenticated", lambda kwargs: kwargs)


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as open to anyone (log-in page, health check), so the route audit knows."""
    view.required_capability = "public"  # type: ignore[attr-defined]
    return view
