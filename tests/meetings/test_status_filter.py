"""Issue 11, finding 14: the meetings list filtered by status answered a malformed HTTP status
line (the filter reached the response as its status); each filter now lists its meetings."""

from __future__ import annotations

import pytest

from cbpar.meetings.models import MeetingStatus


@pytest.mark.parametrize("status", list(MeetingStatus))
def test_the_meetings_list_filters_by_each_status(client, team, login, make_meeting, status):
    make_meeting("Planned one", status=MeetingStatus.PLANNED)
    make_meeting("Filtered one", status=status)
    login(team["users"]["committee"])
    response = client.get(f"/projects/p1/meetings/?status={status.value}")
    assert response.status_code == 200, response.status
    body = response.get_data(as_text=True)
    assert "Filtered one" in body
    assert ("Planned one" in body) == (status == MeetingStatus.PLANNED)
