"""Coding pages: a source's stored text with its coded passages; code, change, remove."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require
from cbpar.forms import check_button
from cbpar.projects.models import Project
from cbpar.qda import bp, services, sources
from cbpar.qda import coding as codings
from cbpar.qda.forms import ChangeCodingForm, CodingForm
from cbpar.qda.models import SourceKind
from cbpar.security import Cap
from cbpar.web import form_page

KINDS = {"interview", "memo", "reflection", "minutes", "contact"}


def _source(project: Project, kind: str, source_id: int) -> sources.Source:
    if kind not in KINDS:
        abort(404)
    return sources.get_visible(project, g.membership, kind, source_id) or abort(404)


def _code_choices(project: Project) -> list[tuple[int, str]]:
    rows = services.tree(project, g.membership)
    return [(row.code.id, "\u00a0\u00a0" * row.depth + row.code.name) for row in rows]


def _page(project: Project, source: sources.Source, form: CodingForm, blind: bool):
    shown = codings.codings_of(source, g.membership, blind)
    return form_page(
        "qda/code.html",
        project=project,
        source=source,
        kind_label=SourceKind(source.shown_kind).label,
        spans=codings.spans(source.text, shown),
        codings=shown,
        form=form,
        change_form=ChangeCodingForm(formdata=None),
        codes=services.tree(project, g.membership),
        may_code=sources.may_code(g.membership, source),
        length=len(source.text),
        blind=blind,
    )


@bp.route("/projects/<slug>/qda/code/<kind>/<int:source_id>", methods=["GET", "POST"])
@require(Cap.SEE_COMMUNITY_MEMOS, write=Cap.WRITE_MEMOS)
def code_source(project: Project, kind: str, source_id: int):
    """GET: the text with its codes. POST: apply codes to the passage [start, end)."""
    source = _source(project, kind, source_id)
    # A second coder codes blind: they see only their own codings until they finish.
    blind = request.values.get("blind") == "1" or codings.coding_blind(source, current_user.id)
    form = CodingForm()
    form.codes.choices = _code_choices(project)
    if form.validate_on_submit():
        if not sources.may_code(g.membership, source):
            abort(403)
        chosen = [services.get_code(project, code_id) for code_id in form.codes.data or []]
        if not chosen or None in chosen:
            form.codes.errors = [_("Choose at least one code.")]
        else:
            try:
                codings.apply_codes(
                    source, chosen, form.start.data, form.end.data, form.note.data or "",
                    current_user, blind=blind,
                )  # fmt: skip
            except codings.CodingError as exc:
                form.start.errors = [str(exc)]
            else:
                flash(_("Passage coded."), "success")
                return redirect(
                    url_for("qda.code_source", slug=project.slug, kind=kind, source_id=source_id)
                    + "#qda-text",
                    code=303,
                )
    return _page(project, source, form, blind)


def _coding(project: Project, coding_id: int):
    coding = codings.get_coding(project, coding_id) or abort(404)
    source = sources.get_visible(project, g.membership, coding.source_type, coding.source_id)
    if source is None:
        abort(404)
    if coding.blind and coding.coder_id != current_user.id:
        abort(404)
    return coding, source


def _back(project: Project, source: sources.Source):
    return redirect(
        url_for("qda.code_source", slug=project.slug, kind=source.kind, source_id=source.id)
        + "#qda-codings",
        code=303,
    )


@bp.route("/projects/<slug>/qda/codings/<int:coding_id>", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def change_coding(project: Project, coding_id: int):
    coding, source = _coding(project, coding_id)
    form = ChangeCodingForm()
    if not form.validate_on_submit():
        abort(400)
    code = services.get_code(project, form.code_id.data) if form.code_id.data else None
    if form.code_id.data and code is None:
        abort(400)
    codings.change_coding(coding, code, form.note.data or "")
    flash(_("Coding changed."), "success")
    return _back(project, source)


@bp.route("/projects/<slug>/qda/codings/<int:coding_id>/delete", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def remove_coding(project: Project, coding_id: int):
    check_button()
    coding, source = _coding(project, coding_id)
    codings.remove_coding(coding, current_user)
    flash(_("Coding removed."), "success")
    return _back(project, source)


@bp.route("/projects/<slug>/qda/code/<kind>/<int:source_id>/finish-blind", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def finish_blind(project: Project, kind: str, source_id: int):
    check_button()
    source = _source(project, kind, source_id)
    done = codings.finish_blind(source, current_user.id)
    flash(_("Blind coding finished: %(n)s codings are now shared.", n=done), "success")
    return redirect(
        url_for("qda.code_source", slug=project.slug, kind=kind, source_id=source_id), code=303
    )


@bp.route("/projects/<slug>/qda/passages/<int:coding_id>")
@require(Cap.SEE_COMMUNITY_MEMOS)
def passage(project: Project, coding_id: int):
    """A coded passage (e.g. cited as a need's evidence): its place in its source."""
    coding, source = _coding(project, coding_id)
    return redirect(
        url_for("qda.code_source", slug=project.slug, kind=source.kind, source_id=source.id)
        + f"#coding-{coding.id}",
        code=303,
    )


@bp.route("/projects/<slug>/qda/contacts/<int:contact_id>")
@require(Cap.SEE_CHILDREN)
def contact_source(project: Project, contact_id: int):
    """A contact summary as a record (a link's target): its coding page."""
    source = _source(project, "contact", contact_id)
    return redirect(
        url_for("qda.code_source", slug=project.slug, kind="contact", source_id=source.id),
        code=303,
    )
