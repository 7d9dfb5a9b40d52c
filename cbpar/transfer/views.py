"""Import / export pages, downloads, household erasure, and the project report.

A web import runs synchronously in the request (50,000 rows take a few seconds): the page
shows the validation report, then the counts; the CLI shows a progress bar.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.auth.forms import EmptyForm
from cbpar.mapping import services as mapping_services
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can, require
from cbpar.transfer import archive, bp, columns, erasure, exporting, importing, reading, report
from cbpar.web import invalid, no_store

KINDS = ("households", "facilities")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_PROBLEMS_SHOWN = 500


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = no_store(body)
    response.mimetype = mimetype
    if isinstance(body, str):
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/projects/<slug>/transfer")
@require(Cap.VIEW_PROJECT)
def index(project: Project):
    membership = g.membership
    return no_store(
        render_template(
            "transfer/index.html",
            project=project,
            kinds=KINDS,
            generic=exporting.generic_tables(membership),
            level=exporting.households_level(membership),
            form=EmptyForm(),
        )
    )


# --- import ----------------------------------------------------------------------------------


def _upload_folder(project: Project) -> Path:
    folder = Path(current_app.instance_path, "imports", str(int(project.id)))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored(project: Project, token: str) -> Path:
    if not TOKEN.match(token):
        abort(404)
    matches = list(_upload_folder(project).glob(f"{token}.*"))
    if not matches:
        abort(404)
    return matches[0]


@bp.route("/projects/<slug>/import/<kind>", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def upload(project: Project, kind: str):
    if kind not in KINDS:
        abort(404)
    form = EmptyForm()
    file = request.files.get("file")
    if not form.validate_on_submit() or file is None or not file.filename:
        flash(_("Choose a file to import."), "error")
        return redirect(url_for("transfer.index", slug=project.slug))
    fmt = reading.guess_format(file.filename)
    token = secrets.token_hex(16)
    file.save(_upload_folder(project) / f"{token}.{fmt}")
    return redirect(url_for("transfer.mapping", slug=project.slug, kind=kind, token=token))


@bp.route("/projects/<slug>/import/<kind>/<token>", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def mapping(project: Project, kind: str, token: str):
    if kind not in KINDS:
        abort(404)
    path = _stored(project, token)
    form = EmptyForm()
    try:
        table = reading.read_path(path, path.suffix.lstrip("."))
    except reading.ReadError as exc:
        path.unlink(missing_ok=True)
        flash(_("The file could not be read: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("transfer.index", slug=project.slug))
    fields = columns.FIELDS[kind]
    if request.method == "POST" and form.validate_on_submit():
        action = request.form.get("action", "check")
        if action == "discard":
            path.unlink(missing_ok=True)
            flash(_("Nothing was imported."), "info")
            return redirect(url_for("transfer.index", slug=project.slug))
        given = {f: request.form.get(f"map-{f}", "") for f in fields}
        chosen = {f: c for f, c in given.items() if c in table.columns}
        problems = importing.check_mapping(kind, chosen, table)
        if problems:
            return invalid(
                "transfer/mapping.html",
                project=project,
                kind=kind,
                token=token,
                table=table,
                fields=fields,
                mapping=chosen,
                problems=problems,
                form=form,
            )
        plan = importing.plan(project, kind, table, chosen)
        if action == "commit":
            summary = importing.apply(project, plan, source=f"web upload ({table.format})")
            if request.form.get("save_mapping"):
                importing.save_mapping(project, kind, chosen)
            path.unlink(missing_ok=True)
            return no_store(
                render_template(
                    "transfer/imported.html", project=project, kind=kind, summary=summary
                )
            )
        return no_store(
            render_template(
                "transfer/check.html",
                project=project,
                kind=kind,
                token=token,
                plan=plan,
                mapping=chosen,
                fields=fields,
                shown=plan.problems[:MAX_PROBLEMS_SHOWN],
                form=form,
            )
        )
    suggested = importing.mapping_for(project, kind, table, {})
    return no_store(
        render_template(
            "transfer/mapping.html",
            project=project,
            kind=kind,
            token=token,
            table=table,
            fields=fields,
            mapping=suggested,
            problems=[],
            form=form,
        )
    )


# --- export ----------------------------------------------------------------------------------


@bp.route("/projects/<slug>/export/households.<fmt>")
@require(Cap.SEE_VILLAGE_TOTALS)
def export_households(project: Project, fmt: str):
    if fmt == "csv":
        body, rows = exporting.households_csv(project, g.membership)
        mime = "text/csv"
    elif fmt == "geojson":
        body, rows = exporting.households_geojson(project, g.membership)
        mime = "application/geo+json"
    else:
        abort(404)
    level = exporting.households_level(g.membership)
    exporting.record(project, f"households ({level})", fmt, rows)
    return _download(body, mime, f"{project.slug}-households.{fmt}")


@bp.route("/projects/<slug>/export/facilities.<fmt>")
@require(Cap.VIEW_PROJECT)
def export_facilities(project: Project, fmt: str):
    if fmt == "csv":
        body, rows = mapping_services.facilities_csv(project)
        mime = "text/csv"
    elif fmt == "geojson":
        body, rows = exporting.facilities_geojson(project)
        mime = "application/geo+json"
    else:
        abort(404)
    exporting.record(project, "facilities", fmt, rows)
    return _download(body, mime, f"{project.slug}-facilities.{fmt}")


@bp.route("/projects/<slug>/export/memos.zip")
@require(Cap.SEE_COMMUNITY_MEMOS)
def export_memos(project: Project):
    body, rows = exporting.memos_zip(project, g.membership)
    exporting.record(project, "memos", "markdown", rows)
    return _download(body, "application/zip", f"{project.slug}-memos.zip")


@bp.route("/projects/<slug>/export/minutes.md")
@require(Cap.READ_MEETINGS)
def export_minutes(project: Project):
    approved_only = not membership_can(g.membership, Cap.WRITE_MEETINGS)
    body, rows = exporting.minutes_markdown(project, approved_only=approved_only)
    exporting.record(project, "minutes", "markdown", rows)
    return _download(body, "text/markdown", f"{project.slug}-minutes.md")


@bp.route("/projects/<slug>/export/records.zip")
@require(Cap.VIEW_PROJECT)
def export_records(project: Project):
    if not exporting.generic_tables(g.membership):
        abort(404)
    body, rows = exporting.generic_zip(project, g.membership)
    exporting.record(project, "records", "csv", rows)
    return _download(body, "application/zip", f"{project.slug}-records.zip")


@bp.route("/projects/<slug>/export/archive.zip")
@require(Cap.MANAGE_PROJECT)
def export_archive(project: Project):
    body, counts = archive.build(project)
    exporting.record(project, "project", "zip", sum(counts.values()))
    return _download(body, "application/zip", f"{project.slug}-archive.zip")


# --- erasure ---------------------------------------------------------------------------------


@bp.route("/projects/<slug>/households/<int:household_id>/erase", methods=["GET", "POST"])
@require(Cap.MANAGE_PROJECT)
def erase_household(project: Project, household_id: int):
    household = mapping_services.get_household(project, household_id)
    if household is None:
        abort(404)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("confirm_code", "").strip() != household.code:
            flash(_("Type the household's code to confirm."), "error")
            return invalid("transfer/erase.html", project=project, household=household, form=form)
        erasure.erase_household(household, current_user)
        flash(_("The household was erased everywhere."), "info")
        return redirect(url_for("mapping.households", slug=project.slug))
    return no_store(
        render_template("transfer/erase.html", project=project, household=household, form=form)
    )


@bp.route("/projects/<slug>/erase")
@require(Cap.MANAGE_PROJECT)
def find_household_to_erase(project: Project):
    from sqlalchemy import func, select

    from cbpar.db import db
    from cbpar.mapping.models import Household

    code = request.args.get("code", "").strip()
    household_id = db.session.scalar(
        select(Household.id).where(
            Household.project_id == project.id, func.lower(Household.code) == code.lower()
        )
    )
    if household_id is None:
        flash(_("No household with code %(code)s.", code=code or "-"), "error")
        return redirect(url_for("transfer.index", slug=project.slug))
    return redirect(
        url_for("transfer.erase_household", slug=project.slug, household_id=household_id)
    )


# --- report ----------------------------------------------------------------------------------


@bp.route("/projects/<slug>/report")
@require(Cap.VIEW_PROJECT)
def report_page(project: Project):
    return render_template("transfer/report.html", **report.build(project))


@bp.route("/projects/<slug>/report.md")
@require(Cap.VIEW_PROJECT)
def report_markdown(project: Project):
    body = report.markdown(report.build(project))
    exporting.record(project, "report", "markdown", 1)
    return _download(body, "text/markdown", f"{project.slug}-report.md")
