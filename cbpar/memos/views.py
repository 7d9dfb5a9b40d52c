"""Memo pages: list, write, read, history and diff, conflicts, links, tags, search, export."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from cbpar import audit, links, search
from cbpar.access import require
from cbpar.db import writes
from cbpar.diffing import line_diff
from cbpar.forms import EmptyForm, check_button
from cbpar.memos import bp, services
from cbpar.memos.forms import MAX_BODY, LinkForm, MemoForm, TagRenameForm
from cbpar.memos.models import Memo, MemoKind
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.text import render_markdown
from cbpar.web import form_page, int_arg, no_store, page_number, paginate

PER_PAGE = 50


def _memo(project: Project, memo_id: int) -> Memo:
    return services.get_memo(project, memo_id, g.membership) or abort(404)


def _editable(project: Project, memo_id: int) -> Memo:
    memo = _memo(project, memo_id)
    if not services.can_edit(g.membership, memo):
        abort(403)
    return memo


# --- list, write, read ---------------------------------------------------------------------


@bp.route("/projects/<slug>/memos")
@require(Cap.SEE_COMMUNITY_MEMOS)
def index(project: Project):
    tag, kind, q = (request.args.get(k, "").strip() for k in ("tag", "kind", "q"))
    query = services.list_query(project, g.membership, tag=tag, kind=kind, q=q)
    page = paginate(query, page_number(request.args.get("page")), PER_PAGE)
    return no_store(
        render_template(
            "memos/index.html",
            project=project,
            page=page,
            tag=tag,
            kind=kind,
            q=q,
            kinds=MemoKind,
            filters={k: v for k, v in (("tag", tag), ("kind", kind), ("q", q)) if v},
        )
    )


@bp.route("/projects/<slug>/memos/new", methods=["GET", "POST"])
@require(Cap.WRITE_MEMOS)
def new(project: Project):
    form = MemoForm()
    if request.method == "GET" and request.args.get("kind") in {k.value for k in MemoKind}:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        memo = services.create_memo(project, current_user, form.data_dict())
        flash(_("Memo saved."), "success")
        return redirect(url_for("memos.view", slug=project.slug, memo_id=memo.id), code=303)
    context = {"project": project, "form": form, "memo": None}
    return form_page("memos/edit.html", **context)


@bp.route("/projects/<slug>/memos/<int:memo_id>")
@require(Cap.SEE_COMMUNITY_MEMOS)
def view(project: Project, memo_id: int):
    memo = _memo(project, memo_id)
    link_form = LinkForm(formdata=None)
    link_form.record_type.choices = [
        SelectChoice(t.name, t.kind_label() or t.name)
        for t in services.linkable_types(g.membership)
    ]
    return no_store(
        render_template(
            "memos/view.html",
            project=project,
            memo=memo,
            linked=links.targets_of(memo, g.membership),
            can_edit=services.can_edit(g.membership, memo),
            can_manage=services.can_manage(g.membership, memo),
            link_form=link_form,
            button_form=EmptyForm(),
        )
    )


def _conflict(project: Project, memo: Memo, form: MemoForm):
    """409: the saved version next to the one just typed, so nothing typed is lost."""
    mine = form.data_dict()
    form.version.data = str(memo.version)  # sending this form again overwrites, knowingly
    return no_store(
        render_template(
            "memos/conflict.html",
            project=project,
            memo=memo,
            form=form,
            mine_html=render_markdown(mine["body"]),
            rows=line_diff(memo.body, mine["body"]),
            can_manage=services.can_manage(g.membership, memo),
        ),
        409,
    )


@bp.route("/projects/<slug>/memos/<int:memo_id>/edit", methods=["GET", "POST"])
@require(Cap.WRITE_MEMOS)
def edit(project: Project, memo_id: int):
    memo = _editable(project, memo_id)
    form = MemoForm(obj=memo) if request.method == "GET" else MemoForm()
    can_manage = services.can_manage(g.membership, memo)
    if request.method == "GET":
        form.tags.data = ", ".join(t.name for t in memo.tags)
        form.version.data = str(memo.version)
    if not can_manage:
        form.visibility.data = memo.visibility.value
    if form.validate_on_submit():
        version = form.version.data
        try:
            services.update_memo(
                memo,
                form.data_dict(),
                int(version) if str(version).isdigit() else None,
                current_user,
                manage=can_manage,
            )
        except services.StaleMemo as stale:
            return _conflict(project, stale.memo, form)
        flash(_("Memo saved."), "success")
        return redirect(url_for("memos.view", slug=project.slug, memo_id=memo.id), code=303)
    context = {"project": project, "form": form, "memo": memo, "can_manage": can_manage}
    return form_page("memos/edit.html", **context)


@bp.route("/projects/<slug>/memos/<int:memo_id>/delete", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def delete(project: Project, memo_id: int):
    memo = _memo(project, memo_id)
    if not services.can_manage(g.membership, memo):
        abort(403)
    check_button()
    services.delete_memo(memo)
    flash(_("Memo deleted."), "success")
    return redirect(url_for("memos.index", slug=project.slug), code=303)


@bp.route("/projects/<slug>/memos/preview", methods=["POST"])
@require(Cap.COMMENT)
def preview(project: Project):
    source = request.form.get("body", "")
    if len(source) > MAX_BODY:
        abort(413)
    response = jsonify(html=render_markdown(source))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- history -------------------------------------------------------------------------------


@bp.route("/projects/<slug>/memos/<int:memo_id>/history")
@require(Cap.SEE_COMMUNITY_MEMOS)
def history(project: Project, memo_id: int):
    memo = _memo(project, memo_id)
    revisions = services.revisions(memo)
    numbers = {r.number: r for r in revisions}
    newest = revisions[0].number if revisions else 0
    new_no = int_arg("new") or newest
    old_no = int_arg("old") or max(1, new_no - 1)
    old, new_rev = numbers.get(old_no), numbers.get(new_no)
    rows = None
    if old is not None and new_rev is not None:
        rows = line_diff(f"# {old.title}\n\n{old.body}", f"# {new_rev.title}\n\n{new_rev.body}")
    return no_store(
        render_template(
            "memos/history.html",
            project=project,
            memo=memo,
            revisions=revisions,
            old=old,
            new=new_rev,
            rows=rows,
            can_edit=services.can_edit(g.membership, memo),
        )
    )


@bp.route("/projects/<slug>/memos/<int:memo_id>/revisions/<int:number>")
@require(Cap.SEE_COMMUNITY_MEMOS)
def revision(project: Project, memo_id: int, number: int):
    memo = _memo(project, memo_id)
    rev = services.revision(memo, number) or abort(404)
    return no_store(
        render_template(
            "memos/revision.html",
            project=project,
            memo=memo,
            revision=rev,
            can_edit=services.can_edit(g.membership, memo),
        )
    )


@bp.route("/projects/<slug>/memos/<int:memo_id>/revisions/<int:number>/restore", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def restore(project: Project, memo_id: int, number: int):
    memo = _editable(project, memo_id)
    rev = services.revision(memo, number) or abort(404)
    check_button()
    new = services.restore(memo, rev, current_user)
    flash(
        _("Revision %(old)d restored as revision %(new)d.", old=number, new=new.number), "success"
    )
    return redirect(url_for("memos.view", slug=project.slug, memo_id=memo.id), code=303)


# --- links ---------------------------------------------------------------------------------


@bp.route("/projects/<slug>/memos/<int:memo_id>/links", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def add_link(project: Project, memo_id: int):
    memo = _editable(project, memo_id)
    form = LinkForm()
    form.record_type.choices = [
        SelectChoice(t.name, t.name) for t in services.linkable_types(g.membership)
    ]
    if not form.validate_on_submit():
        abort(400)
    record = services.find_record(project, form.record_type.data, form.ref.data)
    record_type = links.record_types().get(form.record_type.data)
    if record is None or record_type is None or not record_type.visible(g.membership, record):
        flash(_("No such record in this project: %(ref)s", ref=form.ref.data), "error")
        return redirect(url_for("memos.view", slug=project.slug, memo_id=memo.id) + "#links")
    services.link(memo, record, current_user)
    flash(_("Linked to %(label)s.", label=record_type.label(record)), "success")
    return redirect(url_for("memos.view", slug=project.slug, memo_id=memo.id) + "#links", code=303)


@bp.route("/projects/<slug>/memos/<int:memo_id>/links/remove", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def remove_link(project: Project, memo_id: int):
    memo = _editable(project, memo_id)
    check_button()
    record = links.resolve(
        project.id, request.form.get("type", ""), request.form.get("id", type=int) or 0
    )
    if record is None or not services.unlink(memo, record):
        abort(404)
    flash(_("Link removed."), "success")
    return redirect(url_for("memos.view", slug=project.slug, memo_id=memo.id) + "#links", code=303)


# --- tags ----------------------------------------------------------------------------------


@bp.route("/projects/<slug>/tags")
@require(Cap.SEE_COMMUNITY_MEMOS)
def tags(project: Project):
    return no_store(
        render_template(
            "memos/tags.html",
            project=project,
            uses=services.tag_uses(project, g.membership),
            form=TagRenameForm(formdata=None),
        )
    )


@bp.route("/projects/<slug>/tags/<int:tag_id>/rename", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def rename_tag(project: Project, tag_id: int):
    tag = services.get_tag(project, tag_id) or abort(404)
    form = TagRenameForm()
    if not form.validate_on_submit():
        flash(_("Give the tag a name."), "error")
        return redirect(url_for("memos.tags", slug=project.slug))
    old = tag.name
    result = services.rename_tag(project, tag, form.name.data)
    if result.id != tag_id:
        flash(_("Tag “%(old)s” merged into “%(new)s”.", old=old, new=result.name), "success")
    else:
        flash(_("Tag renamed to “%(new)s”.", new=result.name), "success")
    return redirect(url_for("memos.tags", slug=project.slug), code=303)


# --- export --------------------------------------------------------------------------------


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/projects/<slug>/memos/<int:memo_id>/export.md")
@writes
@require(Cap.SEE_COMMUNITY_MEMOS)
def export(project: Project, memo_id: int):
    memo = _memo(project, memo_id)
    audit.record_export(project, f"memo {memo.id}", "markdown", 1)
    return _download(services.to_markdown(memo), "text/markdown", services.export_name(memo))


@bp.route("/projects/<slug>/memos/export.zip")
@writes
@require(Cap.SEE_COMMUNITY_MEMOS)
def export_tag(project: Project):
    tag = request.args.get("tag", "").strip()
    if not tag:
        abort(404)
    memos = services.listed(project, g.membership, tag=tag)
    audit.record_export(project, f"memos tagged {tag}", "markdown zip", len(memos))
    return _download(services.zip_of(memos), "application/zip", f"memos-{tag}.zip")


@bp.route("/projects/<slug>/memos/<int:memo_id>/print")
@require(Cap.SEE_COMMUNITY_MEMOS)
def print_view(project: Project, memo_id: int):
    memo = _memo(project, memo_id)
    return no_store(
        render_template(
            "memos/print.html",
            project=project,
            memo=memo,
            linked=links.targets_of(memo, g.membership),
        )
    )


# --- search --------------------------------------------------------------------------------


@bp.route("/projects/<slug>/search")
@require(Cap.SEE_COMMUNITY_MEMOS)
def search_page(project: Project):
    q = request.args.get("q", "").strip()
    hits = search.search(project, g.membership, q) if q else []
    return no_store(
        render_template(
            "memos/search.html", project=project, q=q, hits=hits, terms=search.terms_of(q)
        )
    )
