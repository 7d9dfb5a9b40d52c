"""The field app's pages: the home with its forms, the offline lists, a fresh CSRF token for
syncing, the web app manifest and the service worker (at the site root, so its scope covers
every project's field app)."""

from __future__ import annotations

import json

from flask import current_app, g, jsonify, make_response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from cbpar.access import public, require
from cbpar.care.forms import ContactForm
from cbpar.field import bp, services
from cbpar.i18n import html_lang
from cbpar.interviews.forms import InterviewForm
from cbpar.mapping import services as mapping
from cbpar.mapping.forms import FacilityForm, HouseholdForm
from cbpar.meetings.services import project_today
from cbpar.projects.models import Project
from cbpar.security import Cap

# The app's name in both languages, whatever the phone's language (the manifest's `name`).
APP_NAME = "CBPAR 实地记录 · Field app"
APP_SHORT_NAME = "实地记录 Field"
THEME_COLOUR = "#2f6f4f"


def _config(project: Project) -> dict:
    slug = project.slug
    return {
        "slug": slug,
        "urls": {
            "data": url_for("field.data", slug=slug),
            "token": url_for("field.token", slug=slug),
            "home": url_for("field.home", slug=slug),
            "households": url_for("api.households_api", slug=slug),
            "facilities": url_for("api.facilities_api", slug=slug),
            "interviews": url_for("api.interviews_api", slug=slug),
            "api": url_for("api.me").rsplit("/", 1)[0],
            "login": url_for("auth.login"),
        },
        "text": {
            "waiting": _("Waiting to be sent"),
            "refused": _("Refused by the server"),
            "conflict": _("Changed on the server"),
            "sending": _("Sending…"),
            "sent": _("All records are on the server."),
            "offline": _("No network: your records wait on this phone."),
            "loginAgain": _("Log in again to send your records; they stay on this phone."),
            "saved": _("Saved on this phone. It will be sent when there is a network."),
            "edit": _("Edit"),
            "remove": _("Delete"),
            "removeQuestion": _("Delete this record from the phone? It was never sent."),
            "household": _("Household"),
            "facility": _("Facility"),
            "interview": _("Interview"),
            "contact": _("Contact"),
            "session": _("Session"),
            "recording": _("Recording… tap Stop to finish."),
            "recorded": _("Recording kept with this record."),
            "noMicrophone": _("The phone's microphone cannot be used here."),
            "files": _("files"),
            "noChildren": _("No enrolled children in the phone's list."),
        },
    }


@bp.route("/projects/<slug>/field/")
@require(Cap.EDIT_FIELD_RECORDS)
def home(project: Project):
    villages = mapping.villages(project)
    today = project_today(project)
    return render_template(
        "field/home.html",
        project=project,
        household_form=HouseholdForm(
            prefix="household", villages=villages, today=today, project=project
        ),
        facility_form=FacilityForm(prefix="facility", villages=villages),
        interview_form=InterviewForm(prefix="interview"),
        contact_form=ContactForm(prefix="contact"),
        today=today.isoformat(),
        config=_config(project),
    )


@bp.route("/projects/<slug>/field/data.json")
@require(Cap.VIEW_PROJECT)
def data(project: Project):
    response = jsonify(services.offline_data(project, g.membership))
    # Personal data: kept by the field app's own cache on the phone, never by a proxy.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/projects/<slug>/field/token")
@require(Cap.VIEW_PROJECT)
def token(project: Project):
    """A fresh CSRF token: the page the outbox is sent from may have been cached for days."""
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/projects/<slug>/field/manifest.webmanifest")
@public
def manifest(slug: str):
    """The web app manifest: the field home of this project, installable on the phone."""
    locale = str(get_locale() or "en")
    body = {
        "name": APP_NAME,
        "short_name": APP_SHORT_NAME,
        "description": _("Record households, facilities, interviews and contacts, offline too."),
        "lang": html_lang(locale),
        "start_url": url_for("field.home", slug=slug),
        "scope": url_for("field.home", slug=slug),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {
                "src": url_for("static", filename=f"img/field-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker, at the root so its scope covers every page it serves offline."""
    precache = [
        {"url": url_for("static", filename=name), "revision": None}
        for name in services.precache_files()
    ]
    body = render_template(
        "field/sw.js",
        workbox=url_for("static", filename="vendor/workbox/workbox-sw.js"),
        workbox_folder=url_for("static", filename="vendor/workbox/").rstrip("/") + "/",
        precache=precache,
        debug=bool(current_app.debug and request.args.get("debug")),
    )
    response = make_response(body)
    response.mimetype = "text/javascript"
    # A browser checks for a new worker on every visit; never let anything keep an old one.
    response.headers["Cache-Control"] = "no-cache"
    return response
