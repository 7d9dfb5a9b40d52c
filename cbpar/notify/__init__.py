"""Notifications: each member's inbox, the bell, their e-mail choices and the "needs you" panel.

Features emit events through `cbpar.events`; this package's handler turns each into one
`Notification` per recipient (see integration.py). Sending (e-mail, group chats) is done
later by `cbpar notify send` (mail.py and the delivery modules)."""

from flask import Blueprint

bp = Blueprint("notify", __name__)

from cbpar.notify import delivery_views, views  # noqa: E402,F401
