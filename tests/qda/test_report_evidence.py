"""Issue 18: the project report gives each confirmed need's evidence in figures ("Supported by
7 passages from 6 families (code: distance)"), shaped for the public (1 to 4 read "fewer than
5"), without any passage's words, and a withdrawn interview stops counting at once."""

from __future__ import annotations

from datetime import date

from cbpar import links
from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import ConsentGiver, ConsentMethod, Interview, InterviewKind
from cbpar.needs.models import Need
from cbpar.qda.models import Code, Coding
from cbpar.security import Role
from tests.helpers import as_user, confirmed_need, seed

WORDS = "奶奶说幼儿园太远了，走路要两个小时。"
SMALL_WORDS = "没有人帮我带孩子。"


def _setup(app, team, add_household, sources) -> dict:
    """Six family interviews, each coded "distance" (and a community memo too: 7 passages from
    6 families); two coded "access to childcare" (small); a confirmed need citing both codes
    and the six interview passages; a proposed need citing "distance" (not in the report)."""
    project = team["project"]
    homes = [add_household(project) for _ in range(6)]
    fw = team["users"][Role.FIELD_WORKER]

    def make(project):
        distance, access = sources.codes["distance"], sources.codes["access to childcare"]
        interviews, passages = [], []
        for n, home in enumerate(homes):
            row = Interview(
                project_id=project.id, kind=InterviewKind.FAMILY, held_on=date(2020, 5, 2),
                notes=f"{n}. {WORDS} {SMALL_WORDS}", interviewer_id=fw.id,
                consent_method=ConsentMethod.WRITTEN, consent_given_by=ConsentGiver.PERSON,
                covers_notes=True, covers_quotes=True, household_id=home.id,
            )  # fmt: skip
            db.session.add(row)
            db.session.flush()
            interviews.append(row.id)
            coding = Coding(
                project_id=project.id, code_id=distance, source_type="interview",
                source_id=row.id, start=3, end=3 + len(WORDS), text=WORDS, coder_id=fw.id,
            )  # fmt: skip
            db.session.add(coding)
            passages.append(coding)
            if n < 2:
                start = 4 + len(WORDS)
                db.session.add(
                    Coding(
                        project_id=project.id, code_id=access, source_type="interview",
                        source_id=row.id, start=start, end=start + len(SMALL_WORDS),
                        text=SMALL_WORDS, coder_id=fw.id,
                    )
                )  # fmt: skip
        db.session.add(
            Coding(
                project_id=project.id, code_id=distance, source_type="memo",
                source_id=sources.community_memo, start=0, end=9, text="Community", coder_id=fw.id,
            )
        )  # fmt: skip
        db.session.flush()
        need = db.session.get(Need, confirmed_need(project))
        for code_id in (distance, access):
            links.add(need, db.session.get(Code, code_id), "evidence", by=fw)
        for coding in passages:
            links.add(need, coding, "evidence", by=fw)
        proposed = Need(project_id=project.id, title="A proposed bus line", category=need.category)
        db.session.add(proposed)
        db.session.flush()
        links.add(proposed, db.session.get(Code, distance), "evidence", by=fw)
        return {"interviews": interviews, "need": need.title}

    return seed(app, make)


def _report(client) -> tuple[str, str]:
    page = client.get("/projects/p1/report")
    assert page.status_code == 200
    markdown = client.get("/projects/p1/report.md")
    assert markdown.status_code == 200
    return page.get_data(as_text=True), markdown.get_data(as_text=True)


def test_report_gives_a_needs_evidence_in_figures(app, team, add_household, sources):
    made = _setup(app, team, add_household, sources)
    for user in ("coordinator", "committee"):
        page, markdown = _report(as_user(app, user))
        for text in (page, markdown):
            assert "Evidence for the needs" in text
            assert made["need"] in text
            assert "Supported by 7 passages from 6 families (code: distance)" in text
            assert "Passages cited: 6" in text
            # Small figures read "fewer than 5" (the report is shaped for the public) ...
            assert (
                "Supported by fewer than 5 passages from fewer than 5 families "
                "(code: access to childcare)"
            ) in text
            # ... and no passage's words reach it, whoever prints it.
            assert WORDS not in text and SMALL_WORDS not in text
            assert "“" not in text.split("Evidence for the needs", 1)[1].split("</section>")[0]
            assert "A proposed bus line" not in text  # not confirmed, not ranked


def test_withdrawn_consent_stops_counting_in_the_report_at_once(app, team, add_household, sources):
    made = _setup(app, team, add_household, sources)

    def withdraw(project):
        interview = db.session.get(Interview, made["interviews"][-1])
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    page, markdown = _report(as_user(app, "committee"))
    for text in (page, markdown):
        assert "Supported by 6 passages from 5 families (code: distance)" in text
        assert "Passages cited: 5" in text
        assert "7 passages" not in text and "Passages cited: 6" not in text

    def withdraw_more(project):
        interview = db.session.get(Interview, made["interviews"][-2])
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw_more)
    page, markdown = _report(as_user(app, "committee"))
    for text in (page, markdown):
        # 4 families now: suppressed, like the 4 passages still cited.
        assert "Supported by 5 passages from fewer than 5 families (code: distance)" in text
        assert "Passages cited: fewer than 5" in text


def test_report_without_cited_evidence_has_no_section(app, team, sources):
    seed(app, confirmed_need)
    page, markdown = _report(as_user(app, "committee"))
    assert "Evidence for the needs" not in page and "Evidence for the needs" not in markdown
