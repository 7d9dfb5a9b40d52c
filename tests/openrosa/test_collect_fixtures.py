"""Submissions as ODK Collect really writes them (tests/openrosa/fixtures/README.md says where
they come from: Ona's onadata test fixtures, BSD 2-clause)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import select

from cbpar.db import db
from cbpar.mapping.models import Household
from cbpar.openrosa.models import Submission
from tests.openrosa.conftest import post_submission

FIXTURES = Path(__file__).parent / "fixtures"
MESSAGE = "{http://openrosa.org/http/response}message"


def test_a_household_in_collects_own_envelope_is_accepted(app, client, auth):
    """Collect's envelope with its recorded instanceID and geopoint (altitude and accuracy
    after the coordinates), filled with our household questions: accepted as it is."""
    xml = (FIXTURES / "collect_household.xml").read_bytes()
    response = post_submission(client, "p1", xml, auth())
    assert response.status_code == 201, ET.fromstring(response.data).findtext(MESSAGE)
    with app.app_context():
        [household] = db.session.scalars(select(Household))
        assert household.source_id == "uuid:5b2cc313-fc09-437e-8149-fcd32f695d41"
        assert (household.lat, household.lon) == (40.81101715564728, -73.96446704864502)
        assert household.left_behind_children == 2 and household.migrant_parents.value == "father"
        assert household.visited_on is None  # not answered: not guessed


def test_a_real_collect_submission_of_another_form_is_refused_with_its_name(app, client, auth):
    """The unchanged transportation submission: not one of our forms, so the server says
    which form it does not know (400) and keeps nothing; Collect keeps it on the phone."""
    xml = (FIXTURES / "transport_2011-07-25_19-05-49.xml").read_bytes()
    response = post_submission(client, "p1", xml, auth())
    assert response.status_code == 400
    assert "transportation_2011_07_25" in ET.fromstring(response.data).findtext(MESSAGE)
    with app.app_context():
        assert db.session.scalar(select(Submission.id)) is None
