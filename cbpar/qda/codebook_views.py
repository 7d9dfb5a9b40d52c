"""The code book page (add, edit, move, merge, delete, import), a code's passages with their
exports, and the analysis page (co-occurrence, counts by village and kind)."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar import audit, csvout
from cbpar.access import require
from cbpar.db import writes
from cbpar.forms import check_button
from cbpar.interviews.models import InterviewKind
from cbpar.projects.models import Project
from cbpar.qda import agreement, bp, charts, refi, retrieval, services
from cbpar.qda.forms import CodeForm, ImportForm, MergeForm
from cbpar.qda.models import SourceKind
from cbpar.security import Cap
from cbpar.web import form_page, int_arg, no_store, page_number

MAX_IMPORT = 20 * 1024 * 1024


def _parent_choices(project: Project, exclude: set[int] | None = None) -> list:
    rows = services.tree(project, g.membership)
    return [(None, _("(top level)"))] + [
        (row.code.id, "\u00a0\u00a0" * row.depth + row.code.name)
        for row in rows
        if not exclude or row.code.id not in exclude
    ]


def _code(project: Project, code_id: int):
    return services.get_code(project, code_id) or abort(404)


def _codebook_page(project: Project, form: CodeForm, import_form: ImportForm):
    return form_page(
        "qda/codebook.html",
        project=project,
        rows=services.tree(project, g.membership),
        form=form,
        import_form=import_form,
        total=retrieval.count_all(project, g.membership),
    )


@bp.route("/projects/<slug>/qda", methods=["GET", "POST"])
@require(Cap.SEE_COMMUNITY_MEMOS, write=Cap.WRITE_MEMOS)
def codebook(project: Project):
    """The code book; POST adds a code."""
    form = CodeForm()
    form.parent_id.choices = _parent_choices(project)
    if form.validate_on_submit():
        try:
            code = services.create_code(project, form.data, current_user)
        except services.CodeBookError as exc:
            getattr(form, exc.field).errors = [str(exc)]
        else:
            flash(_("Code added: %(name)s", name=code.name), "success")
            return redirect(url_for("qda.codebook", slug=project.slug), code=303)
    return _codebook_page(project, form, ImportForm(formdata=None))


@bp.route("/projects/<slug>/qda/codes/<int:code_id>/edit", methods=["GET", "POST"])
@require(Cap.WRITE_MEMOS)
def edit_code(project: Project, code_id: int):
    code = _code(project, code_id)
    form = CodeForm(obj=code)
    below = services.descendants(services.all_codes(project), code.id)
    form.parent_id.choices = _parent_choices(project, below)
    merge_form = MergeForm(formdata=None)
    merge_form.into.choices = [c for c in _parent_choices(project, {code.id}) if c[0]]
    if form.validate_on_submit():
        try:
            services.update_code(project, code, form.data)
        except services.CodeBookError as exc:
            getattr(form, exc.field).errors = [str(exc)]
        else:
            flash(_("Code saved."), "success")
            return redirect(url_for("qda.codebook", slug=project.slug), code=303)
    return form_page(
        "qda/edit_code.html", project=project, code=code, form=form, merge_form=merge_form
    )


@bp.route("/projects/<slug>/qda/codes/<int:code_id>/merge", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def merge_code(project: Project, code_id: int):
    code = _code(project, code_id)
    form = MergeForm()
    form.into.choices = _parent_choices(project)
    if not form.validate_on_submit():
        abort(400)
    into = services.get_code(project, form.into.data) or abort(400)
    name = code.name
    try:
        moved = services.merge_codes(project, code, into)
    except services.CodeBookError as exc:
        flash(str(exc), "error")
        return redirect(url_for("qda.edit_code", slug=project.slug, code_id=code_id), code=303)
    flash(
        _(
            "%(name)s merged into %(into)s (%(n)s passages moved).",
            name=name,
            into=into.name,
            n=moved,
        ),
        "success",
    )
    return redirect(url_for("qda.codebook", slug=project.slug), code=303)


@bp.route("/projects/<slug>/qda/codes/<int:code_id>/delete", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def delete_code(project: Project, code_id: int):
    check_button()
    code = _code(project, code_id)
    name = code.name
    removed = services.delete_code(project, code)
    flash(_("Code deleted: %(name)s (%(n)s codings removed).", name=name, n=removed), "success")
    return redirect(url_for("qda.codebook", slug=project.slug), code=303)


@bp.route("/projects/<slug>/qda/import", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def import_codebook(project: Project):
    """A CSV (name, definition, parent) or a REFI-QDA code book (.qdc) or project (.qdpx)."""
    form = ImportForm()
    upload = request.files.get("file")
    error = None
    if not form.validate_on_submit() or upload is None or not upload.filename:
        error = _("Choose a file.")
    else:
        data = upload.read(MAX_IMPORT + 1)
        try:
            if len(data) > MAX_IMPORT:
                raise services.CodeBookError(_("The file is larger than 20 MB."))
            if upload.filename.lower().endswith((".qdc", ".qdpx", ".qde", ".xml")):
                result = refi.import_codebook(project, data, current_user)
            else:
                result = services.import_csv(project, data, current_user)
        except (services.CodeBookError, refi.RefiError, UnicodeDecodeError) as exc:
            error = (
                str(exc)
                if not isinstance(exc, UnicodeDecodeError)
                else _("The file is not UTF-8 text.")
            )
        else:
            flash(
                _(
                    "Code book imported: %(created)s new codes, %(existing)s already there.",
                    created=result.created,
                    existing=result.existing,
                ),
                "success",
            )
            for problem in result.problems[:20]:
                flash(problem, "error")
            return redirect(url_for("qda.codebook", slug=project.slug), code=303)
    form.file.errors = [error]
    code_form = CodeForm(formdata=None)
    code_form.parent_id.choices = _parent_choices(project)
    return _codebook_page(project, code_form, form)


@bp.route("/projects/<slug>/qda/codebook.csv")
@writes
@require(Cap.SEE_COMMUNITY_MEMOS)
def codebook_csv(project: Project):
    rows = services.tree(project, g.membership)
    audit.record_export(project, "code book", "csv", len(rows))
    names = {row.code.id: row.code.name for row in rows}
    body = csvout.to_csv(
        ["name", "definition", "parent", "color", "example", "passages", "sources"],
        [
            [
                row.code.name, row.code.definition, names.get(row.code.parent_id, ""),
                row.code.color, row.code.example, row.passages, row.sources,
            ]
            for row in rows
        ],
    )  # fmt: skip
    return csvout.response(body, f"{project.slug}-codebook.csv")


def _filters() -> retrieval.Filters:
    kind = request.args.get("kind", "")
    interview_kind = request.args.get("interview_kind", "")
    household = request.args.get("household", "")
    return retrieval.Filters(
        village_id=int_arg("village"),
        kind=kind if kind in {k.value for k in SourceKind} else "",
        interview_kind=interview_kind if interview_kind in {k.value for k in InterviewKind} else "",
        household=household if household in retrieval.HOUSEHOLD_FILTERS else "",
        publishable_only=request.args.get("publishable") == "1",
    )


@bp.route("/projects/<slug>/qda/codes/<int:code_id>")
@writes  # an export (?format=csv|xlsx) is audited
@require(Cap.SEE_COMMUNITY_MEMOS)
def passages(project: Project, code_id: int):
    """All passages of a code and of its children, filtered; ?format=csv or xlsx exports them
    all (not one page)."""
    code = _code(project, code_id)
    filters = _filters()
    export = request.args.get("format")
    if export in ("csv", "xlsx"):
        found = retrieval.all_passages(project, g.membership, code, filters)
        name = f"{project.slug}-code-{code.id}"
        audit.record_export(project, f"passages of code {code.id}", export, len(found))
        if export == "csv":
            return csvout.response(retrieval.to_csv(found), f"{name}.csv")
        return csvout.xlsx_response(retrieval.to_xlsx(found), f"{name}.xlsx")
    page = retrieval.passages_page(
        project, g.membership, code, filters, page_number(request.args.get("page"))
    )
    return no_store(
        render_template(
            "qda/passages.html",
            project=project,
            code=code,
            page=page,
            filters=filters,
            villages=retrieval.villages(project),
            kinds=list(SourceKind),
            interview_kinds=list(InterviewKind),
        )
    )


@bp.route("/projects/<slug>/qda/analysis")
@require(Cap.SEE_COMMUNITY_MEMOS)
def analysis(project: Project):
    """Co-occurrence of codes, and counts by village, interview kind and kind of source."""
    return no_store(
        render_template(
            "qda/analysis.html", project=project, **charts.analysis_tables(project, g.membership)
        )
    )


@bp.route("/projects/<slug>/qda/agreement")
@require(Cap.WRITE_MEMOS)
def agreement_page(project: Project):
    """Two coders compared: percent agreement and Cohen's kappa per code, and where they differ."""
    people = agreement.coders(project)
    by_id = {u.id: u for u in people}
    coder_a, coder_b = by_id.get(int_arg("a") or 0), by_id.get(int_arg("b") or 0)
    report = None
    if coder_a is not None and coder_b is not None and coder_a.id != coder_b.id:
        report = agreement.compare(project, g.membership, coder_a, coder_b)
    return no_store(
        render_template(
            "qda/agreement.html",
            project=project,
            coders=people,
            report=report,
            chosen=(coder_a, coder_b),
        )  # fmt: skip
    )


# Coordinators and researchers (the roles that write meetings and reports) export the project.
@bp.route("/projects/<slug>/qda/export.qdpx")
@writes
@require(Cap.WRITE_MEETINGS)
def export_qdpx(project: Project):
    """The project's coded sources as a REFI-QDA project: what this member may see."""
    data = refi.export_project(project, g.membership)
    audit.record_export(project, "qualitative project", "qdpx", 1)
    return _download(data, f"{project.slug}.qdpx", "application/zip")


@bp.route("/projects/<slug>/qda/export.qdc")
@writes
@require(Cap.WRITE_MEETINGS)
def export_qdc(project: Project):
    try:
        data = refi.export_codebook(project)
    except refi.RefiError as exc:
        flash(str(exc), "error")
        return redirect(url_for("qda.codebook", slug=project.slug), code=303)
    audit.record_export(project, "code book", "qdc", 1)
    return _download(data, f"{project.slug}-codebook.qdc", "application/xml")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
