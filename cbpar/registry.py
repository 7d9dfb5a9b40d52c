"""What the features contribute to shared mechanisms, kept per app, never in module globals.

Each feature's `integration.init_app(app)` adds its record types (`links`), search providers
(`search`), home page panels, attachment targets and comment exclusions through the functions
of those modules, which keep them here, in `app.extensions["cbpar_registry"]`. Importing a
module registers nothing, and every app (tests make many in one process) has its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app

KEY = "cbpar_registry"
T = TypeVar("T")


def slot(name: str, factory: Callable[[], T], app: Flask | None = None) -> T:
    """The app's registry called `name` (made with `factory` the first time)."""
    store = (app or current_app).extensions.setdefault(KEY, {})
    if name not in store:
        store[name] = factory()
    return store[name]
