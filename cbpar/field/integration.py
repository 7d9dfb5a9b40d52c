"""What the field app contributes to shared features: logging out of a browser that used the
field app clears what it kept on the phone (its caches, its outbox in IndexedDB, its service
worker), by a Clear-Site-Data header on the log-out answer. The page warns first when records
wait, and says the browser has field data to clear (js/field/logout-guard.js); other browsers
log out without the header, which would slow every log-out for nothing."""

from __future__ import annotations

from flask import Flask, Response, request

from cbpar.forms import POOR_ACCURACY_M

CLEAR_SITE_DATA = '"cache", "storage"'


def init_app(app: Flask) -> None:
    # The "Use my location" widget (templates/field/_fields.html) warns above this.
    app.add_template_global(POOR_ACCURACY_M, "POOR_ACCURACY_M")

    @app.after_request
    def clear_phone_on_logout(response: Response) -> Response:
        logged_out = request.endpoint == "auth.logout" and request.method == "POST"
        field_data = request.form.get("clear_device") == "1"
        if logged_out and field_data and response.status_code in (302, 303):
            response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response
