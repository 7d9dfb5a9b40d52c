"""Issue 15: the report reads well: map labels neither overlap nor leave the picture, numbers are
written for people in the reader's language, vote methods by name, and turnout in words."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import combinations
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from cbpar.db import db
from cbpar.transfer import report_map
from tests.helpers import fresh_app

Box = report_map.Box


def _boxes(svg: str) -> tuple[float, float, list[Box]]:
    width, height = map(float, re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    boxes = [Box(*map(float, b.split())) for b in re.findall(r'data-box="([^"]+)"', svg)]
    return width, height, boxes


def _assert_readable(svg: str, labels: int) -> None:
    width, height, boxes = _boxes(svg)
    assert len(boxes) == labels
    for box in boxes:
        assert box.inside(width, height), f"label out of the picture: {box}"
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b), f"labels overlap: {a} {b}"


def _village(name: str, lat: float, lon: float, households: int = 60) -> dict:
    return {
        "village": SimpleNamespace(name=name, center_lat=lat, center_lon=lon),
        "households": households,
    }


def _facility(name: str, lat: float, lon: float) -> SimpleNamespace:
    return SimpleNamespace(name=name, lat=lat, lon=lon, kind="clinic")


def test_crowded_labels_are_nudged_apart_and_kept_inside(app):
    """Eight facilities in one village and a second village at the map's edge: the labels
    would all be drawn on top of each other, and cut off on the right."""
    villages = [
        _village("Shuanghe Village (双河村)", 42.3630, 119.8350),
        _village("Liangshui Village (凉水村)", 42.2400, 120.0100),
    ]
    facilities = [
        _facility(f"Liangshui facility number {i} (凉水村设施)", 42.2400 + i * 1e-4, 120.0100)
        for i in range(8)
    ]
    with app.test_request_context():
        svg = str(report_map.map_svg(villages, facilities, 5.0))
    _assert_readable(svg, 10)
    assert svg.count("<line") > 1  # leader lines tie the moved labels to their places


def test_one_point_map_and_a_flat_map_still_fit(app):
    with app.test_request_context():
        alone = str(
            report_map.map_svg([_village("A very long village name indeed", 42, 120)], [], 5)
        )
        flat = str(
            report_map.map_svg(
                [_village("West", 42, 119.8), _village("East", 42, 120.1)],
                [_facility("Clinic", 42, 119.95)],
                5.0,
            )
        )
    _assert_readable(alone, 1)
    _assert_readable(flat, 3)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return fresh_app(tmp_path_factory.mktemp("report"), demo=True)


def _get(demo, url: str, lang: str = "en") -> str:
    client = demo.test_client()
    assert (
        client.post(
            "/login", data={"username": "observer", "password": "demo-password"}
        ).status_code
        == 302
    )
    if lang != "en":
        client.post("/language", data={"locale": lang, "next": "/"})
    return client.get(url).get_data(as_text=True)


def test_the_demo_report_map_is_readable(demo):
    html = _get(demo, "/projects/demo/report")
    svg = html[html.index("<svg") : html.index("</svg>")]
    with demo.app_context():
        from cbpar.mapping.models import Facility

        facilities = db.session.scalar(select(func.count(Facility.id)))
    _assert_readable(svg, 2 + facilities)  # two villages and every facility
    assert "Shuanghe Village (双河村): 60 households" in svg


def test_numbers_method_and_turnout_read_as_words(demo):
    html = _get(demo, "/projects/demo/report")
    assert not re.search(r"\d\.0000", html), "figures with four zero decimals"
    assert re.search(r'data-value="current">\s*42\b', html)  # children enrolled: 42
    assert "Method: Schulze (Condorcet)." in html and "Method: schulze" not in html
    assert "Ballots:" not in html
    turnout = re.search(r"<span data-turnout>(.*?)</span>", html).group(1)
    assert re.fullmatch(r"\d+ ballots cast\. \d+ members could vote\..*", turnout), turnout
    markdown = _get(demo, "/projects/demo/report.md")
    assert "Schulze (Condorcet)" in markdown and ".0000" not in markdown
    assert "ballots cast" in markdown


def test_the_turnout_says_what_each_number_is(app):
    from cbpar.transfer.report import turnout

    with app.test_request_context():
        assert turnout(8, 5, 3) == (
            "8 ballots cast. 5 members could vote. 3 paper sheets were issued to guests."
        )
        assert turnout(1, 1, 0) == "1 ballot cast. 1 member could vote."
        assert turnout(0, None, 0) == "0 ballots cast."


def test_numbers_follow_the_locale(app):
    from flask_babel import force_locale

    from cbpar import privacy
    from cbpar.transfer.report import method_label, number

    with app.test_request_context():
        assert number(Decimal("42.0000")) == "42"
        assert number(Decimal("1234567.5000")) == "1,234,567.5"
        assert number(privacy.SUPPRESSED) == "fewer than 5"
        assert number(None) == ""
        assert method_label("borda") == "Borda count"
        with force_locale("de"):  # a locale with other separators proves they are the locale's
            assert number(Decimal("1234567.5")) == "1.234.567,5"


def test_tied_needs_share_a_place_in_the_report(demo):
    """The same rank convention as the results page: 1, 1, 3 (not 1, 2, 3)."""
    from cbpar.needs.models import VoteRound

    with demo.app_context():
        vote = db.session.scalar(select(VoteRound).where(VoteRound.closed_at.is_not(None)))
        ids = [option.need_id for option in vote.options][:3]
        vote.result = {**(vote.result or {}), "ranking": [ids[:2], ids[2:]]}
        db.session.commit()
    markdown = _get(demo, "/projects/demo/report.md")
    places = re.findall(r"^(\d+)\. .+ = .+$|^(\d+)\. ", markdown, re.M)
    assert re.search(r"^1\. .+ = .+$", markdown, re.M) and re.search(r"^3\. ", markdown, re.M)
    assert not re.search(r"^2\. ", markdown, re.M), places
    html = _get(demo, "/projects/demo/report")
    assert '<li value="1">' in html and '<li value="3">' in html
