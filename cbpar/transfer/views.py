"""Import / export pages, downloads, household erasure, and the project report.

A web import: upload -> choose columns -> validation report -> import. With JavaScript, the
import button posts to `run_import`, which streams progress as NDJSON while it checks and
writes the rows, then the page moves to `imported` (counts from the audit event). Without
JavaScript the same form posts to `mapping` (action=commit), which imports in the request.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from cbpar import audit, csvout
from cbpar.access import require
from cbpar.db import db, write_intent, writes
from cbpar.forms import EmptyForm
from cbpar.mapping import exports as mapping_exports
from cbpar.mapping import services as mapping_services
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.transfer import (
    archive,
    bp,
    columns,
    erasure,
    exporting,
    importing,
    mappings,
    reading,
    report,
    wizard,
)
from cbpar.web import invalid, no_store

KINDS = ("households", "facilities")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_PROBLEMS_SHOWN = 500
T = TypeVar("T")


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    if mimetype == "text/csv":
        return csvout.response(body, filename)
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


def _read_upload(project: Project, token: str) -> tuple[Path, reading.Table | None, str]:
    """The stored upload and its rows; if it cannot be read, it is deleted and the reason given."""
    path = _stored(project, token)
    try:
        return path, reading.read_path(path, path.suffix.lstrip(".")), ""
    except reading.ReadError as exc:
        path.unlink(missing_ok=True)
        return path, None, str(exc)


def _posted_mapping(kind: str, table: reading.Table) -> tuple[dict[str, str], list[str]]:
    """The columns chosen in the posted form (map-FIELD), and the problems with that choice."""
    given = {f: request.form.get(f"map-{f}", "") for f in columns.FIELDS[kind]}
    chosen = {f: c for f, c in given.items() if c in table.columns}
    return chosen, mappings.check_mapping(kind, chosen, table)


@bp.route("/projects/<slug>/import/<kind>/<token>", methods=["GET", "POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def mapping(project: Project, kind: str, token: str):
    if kind not in KINDS:
        abort(404)
    form = EmptyForm()
    path, table, reason = _read_upload(project, token)
    if table is None:
        flash(_("The file could not be read: %(reason)s", reason=reason), "error")
        return redirect(url_for("transfer.index", slug=project.slug))
    fields = columns.FIELDS[kind]
    if request.method == "POST" and form.validate_on_submit():
        action = request.form.get("action", "check")
        if action == "discard":
            wizard.discard(path)
            flash(_("Nothing was imported."), "info")
            return redirect(url_for("transfer.index", slug=project.slug))
        chosen, problems = _posted_mapping(kind, table)
        if problems:
            return invalid(
                "transfer/mapping.html",
                project=project,
                kind=kind,
                token=token,
                table=table,
                fields=fields,
                mapping=chosen,
                described=columns.describe_columns(kind, chosen, table.columns, table.rows),
                problems=problems,
                form=form,
            )
        plan = wizard.check(project, kind, table, chosen)
        if action == "commit":
            save = bool(request.form.get("save_mapping"))
            summary = wizard.commit(
                project, plan, table, path, kind=kind, mapping=chosen, save_mapping=save
            )
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
                unmapped=columns.unmapped_columns(chosen, table.columns),
                shown=plan.problems[:MAX_PROBLEMS_SHOWN],
                form=form,
            )
        )
    suggested = mappings.mapping_for(project, kind, table, {})
    return no_store(
        render_template(
            "transfer/mapping.html",
            project=project,
            kind=kind,
            token=token,
            table=table,
            fields=fields,
            mapping=suggested,
            described=columns.describe_columns(kind, suggested, table.columns, table.rows),
            problems=[],
            form=form,
        )
    )


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"


def _ndjson(body: Any, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="application/x-ndjson")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: send each line as it is written
    return response


def _progress_lines(steps: Generator[importing.Event, None, T]) -> Generator[str, None, T]:
    """Each progress event of `steps` as an NDJSON line; returns what `steps` returns."""
    while True:
        try:
            phase, done, total = next(steps)
        except StopIteration as stop:
            return stop.value
        yield _line({"phase": phase, "done": done, "total": total})


@bp.route("/projects/<slug>/import/<kind>/<token>/run", methods=["POST"])
@require(Cap.EDIT_FIELD_RECORDS)
def run_import(project: Project, kind: str, token: str):
    """The import button with JavaScript: check and write the rows, streaming progress lines
    {"phase", "done", "total"}, then {"done": true, "summary", "report_url"} or {"error"}."""
    if kind not in KINDS:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        return _ndjson(_line({"error": _("The form expired")}), 400)
    path, table, reason = _read_upload(project, token)
    if table is None:
        message = _("The file could not be read: %(reason)s", reason=reason)
        return _ndjson(_line({"error": message}), 422)
    chosen, problems = _posted_mapping(kind, table)
    if problems:
        return _ndjson(_line({"error": " ".join(problems)}), 422)
    project_id, save = project.id, bool(request.form.get("save_mapping"))

    def work() -> Iterator[str]:
        # This body runs only while the response is sent, after the after_request hooks: the
        # request's session (used above to check the member) was already committed and closed
        # by cbpar.db, which popped it from g. stream_with_context keeps this request's g and
        # current_user, so db.session below is a new session of our own on g; we commit it once
        # at the end or roll it back, and teardown_appcontext closes it when the stream ends
        # (also if the client goes away). Nothing here relies on the after_request commit.
        write_intent.set(True)  # SQLite: BEGIN IMMEDIATE before the first query
        session = db.session
        try:
            steps = wizard.import_steps(project_id, kind, table, chosen, save_mapping=save)
            summary, event = yield from _progress_lines(steps)
            event_id = event.id  # flushed by apply_steps
            session.commit()
        except Exception:
            session.rollback()
            current_app.logger.exception("Web import into project %s failed", project_id)
            try:  # tell who ran it, in a transaction of its own
                wizard.failed(project_id, kind)
                session.commit()
            except Exception:
                session.rollback()
                current_app.logger.exception("Could not record the failed import's notice")
            yield _line({"error": _("The import failed and nothing was saved. Try again.")})
            return
        except BaseException:  # GeneratorExit: the client went away; nothing is kept
            session.rollback()
            raise
        path.unlink(missing_ok=True)
        report_url = url_for("transfer.imported", slug=project.slug, kind=kind, event_id=event_id)
        yield _line({"done": True, "summary": summary, "report_url": report_url})

    return _ndjson(stream_with_context(work()))


@bp.route("/projects/<slug>/import/<kind>/done/<int:event_id>")
@require(Cap.EDIT_FIELD_RECORDS)
def imported(project: Project, kind: str, event_id: int):
    """The counts of a finished import, read from its audit event (counts only)."""
    summary = wizard.import_summary(project, kind, event_id) if kind in KINDS else None
    if summary is None:
        abort(404)
    return no_store(
        render_template("transfer/imported.html", project=project, kind=kind, summary=summary)
    )


# --- export ----------------------------------------------------------------------------------


@bp.route("/projects/<slug>/export/households.<fmt>")
@writes
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
    audit.record_export(project, f"households ({level})", fmt, rows)
    return _download(body, mime, f"{project.slug}-households.{fmt}")


@bp.route("/projects/<slug>/export/facilities.<fmt>")
@writes
@require(Cap.VIEW_PROJECT)
def export_facilities(project: Project, fmt: str):
    if fmt == "csv":
        body, rows = mapping_exports.facilities_csv(project)
        mime = "text/csv"
    elif fmt == "geojson":
        body, rows = exporting.facilities_geojson(project)
        mime = "application/geo+json"
    else:
        abort(404)
    audit.record_export(project, "facilities", fmt, rows)
    return _download(body, mime, f"{project.slug}-facilities.{fmt}")


@bp.route("/projects/<slug>/export/memos.zip")
@writes
@require(Cap.SEE_COMMUNITY_MEMOS)
def export_memos(project: Project):
    body, rows = exporting.memos_zip(project, g.membership)
    audit.record_export(project, "memos", "markdown", rows)
    return _download(body, "application/zip", f"{project.slug}-memos.zip")


@bp.route("/projects/<slug>/export/minutes.md")
@writes
@require(Cap.READ_MEETINGS)
def export_minutes(project: Project):
    approved_only = not membership_can(g.membership, Cap.WRITE_MEETINGS)
    body, rows = exporting.minutes_markdown(project, approved_only=approved_only)
    audit.record_export(project, "minutes", "markdown", rows)
    return _download(body, "text/markdown", f"{project.slug}-minutes.md")


@bp.route("/projects/<slug>/export/records.zip")
@writes
@require(Cap.VIEW_PROJECT)
def export_records(project: Project):
    if not exporting.generic_tables(g.membership):
        abort(404)
    body, rows = exporting.generic_zip(project, g.membership)
    audit.record_export(project, "records", "csv", rows)
    return _download(body, "application/zip", f"{project.slug}-records.zip")


@bp.route("/projects/<slug>/export/archive.zip")
@writes
@require(Cap.MANAGE_PROJECT)
def export_archive(project: Project):
    body, counts = archive.build(project)
    audit.record_export(project, "project", "zip", sum(counts.values()))
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
    code = request.args.get("code", "").strip()
    household_id = wizard.household_id_by_code(project, code)
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
@writes
@require(Cap.VIEW_PROJECT)
def report_markdown(project: Project):
    body = report.markdown(report.build(project))
    audit.record_export(project, "report", "markdown", 1)
    return _download(body, "text/markdown", f"{project.slug}-report.md")
