"""The field app on the server: its page, manifest, service worker, the lists it keeps on a
phone (per role), and what it sends through the API (accuracy, recordings)."""

from __future__ import annotations

import io
import json
import re
import struct
import wave

from sqlalchemy import select

from cbpar.attachments import services as attachment_services
from cbpar.attachments.models import Attachment
from cbpar.care import services as care_services
from cbpar.care.models import Child, ContactLog
from cbpar.db import db
from cbpar.mapping.models import Facility, Household
from tests.helpers import FACILITY, HOUSEHOLD, INTERVIEW, as_user, new_id, project_today


def wav_bytes(seconds: float = 0.2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(struct.pack("<h", 0) * int(8000 * seconds))
    return buffer.getvalue()


def test_the_field_home_is_for_the_field_team(app, team):
    page = as_user(app, "field_worker").get("/projects/p1/field/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'rel="manifest"' in html and "/projects/p1/field/manifest.webmanifest" in html
    assert "Use my location" in html and "Sync now" in html
    assert 'id="household-location_accuracy_m"' in html  # the form's accuracy field
    assert as_user(app, "committee").get("/projects/p1/field/").status_code == 403
    assert as_user(app, "observer").get("/projects/p1/field/").status_code == 403
    assert as_user(app, "outsider").get("/projects/p1/field/").status_code == 404
    # The navigation offers it to the field team, marked current on its page, and to no one else.
    assert 'href="/projects/p1/field/" aria-current="page"' in html
    overview = as_user(app, "field_worker").get("/projects/p1/").get_data(as_text=True)
    assert 'href="/projects/p1/field/"' in overview
    committee = as_user(app, "committee").get("/projects/p1/").get_data(as_text=True)
    assert 'href="/projects/p1/field/"' not in committee


def test_the_manifest_names_the_app_in_both_languages(app, team):
    c = as_user(app, "field_worker")
    response = c.get("/projects/p1/field/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = json.loads(response.get_data(as_text=True))
    assert re.search(r"[\u4e00-\u9fff]", body["name"]) and re.search(r"[A-Za-z]", body["name"])
    assert body["start_url"] == "/projects/p1/field/" and body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in body["icons"]:
        image = c.get(icon["src"])
        assert image.status_code == 200 and image.get_data().startswith(b"\x89PNG")


def test_the_service_worker_is_at_the_root_and_never_cached_long(app, team):
    c = app.test_client()
    response = c.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert "https://" not in script  # nothing from a CDN
    imported = re.search(r'importScripts\("([^"]+)"\)', script).group(1)
    assert re.fullmatch(r"/static/vendor/workbox/workbox-sw\.[0-9a-f]{12}\.js", imported)
    assert c.get(imported).status_code == 200
    assert 'modulePathPrefix: "/static/vendor/workbox/"' in script
    for module in ("core", "precaching", "routing", "strategies", "cacheable-response"):
        assert c.get(f"/static/vendor/workbox/workbox-{module}.prod.js").status_code == 200
    precache = json.loads(re.search(r"precacheAndRoute\((\[.*?\])\)", script).group(1))
    urls = {entry["url"] for entry in precache}
    # The precached URLs are the fingerprinted ones the pages use, and every one is served.
    page = as_user(app, "field_worker").get("/projects/p1/field/").get_data(as_text=True)
    used = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    assert used <= urls, used - urls
    for url in urls:
        assert c.get(url).status_code == 200, url


def test_the_offline_lists_follow_the_role(app, team, add_household):
    project = team["project"]
    household = add_household(project)
    worker = as_user(app, "field_worker").get("/projects/p1/field/data.json")
    assert worker.status_code == 200
    assert worker.headers["Cache-Control"] == "private, no-cache"
    data = worker.get_json()
    assert [h["code"] for h in data["households"]] == [household.code]
    assert {v["code"] for v in data["villages"]} >= {"SH"}
    for role in ("committee", "observer"):
        response = as_user(app, role).get("/projects/p1/field/data.json")
        assert response.status_code == 200, role
        shown = response.get_json()
        assert shown["households"] == [] and shown["children"] == [], role
        assert shown["programmes"] == [], role
        assert household.code not in response.get_data(as_text=True), role
    assert as_user(app, "outsider").get("/projects/p1/field/data.json").status_code == 404


def test_the_offline_households_follow_every_change(app, team, add_household):
    """The list is built once per map data version: a new household, a moved one and a
    deleted one are in the next download."""
    project = team["project"]
    first = add_household(project)
    c = as_user(app, "field_worker")
    assert [h["code"] for h in c.get("/projects/p1/field/data.json").get_json()["households"]] == [
        first.code
    ]
    second = add_household(project)
    with app.app_context():
        moved = db.session.get(Household, first.id)
        moved.lat, moved.lon = 41.5, 120.25
        db.session.commit()
    households = c.get("/projects/p1/field/data.json").get_json()["households"]
    assert sorted(h["code"] for h in households) == sorted([first.code, second.code])
    assert next(h for h in households if h["id"] == first.id)["point"] == [41.5, 120.25]
    with app.app_context():
        db.session.delete(db.session.get(Household, second.id))
        db.session.commit()
    households = c.get("/projects/p1/field/data.json").get_json()["households"]
    assert [h["code"] for h in households] == [first.code]


CHILD = {
    "birth_year": 2021,
    "sex": "girl",
    "parents_away": "both",
    "caregiver": "grandparents",
    "consent_on": "2024-01-01",
    "consent_given_by": "grandmother",
}


def test_children_are_kept_only_for_roles_that_see_them(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    made = c.post("/api/v1/projects/p1/children", json={**CHILD, "household_id": household.id})
    assert made.status_code == 201, made.get_json()
    child = made.get_json()
    other = c.post(
        "/api/v1/projects/p1/children",
        json={**CHILD, "household_id": household.id, "client_id": new_id()},
    ).get_json()
    programme = c.post(
        "/api/v1/projects/p1/programmes",
        json={"client_id": new_id(), "name": "4:30 classroom", "kind": "after_school"},
    ).get_json()
    today = project_today().isoformat()
    for enrolled in (child, other):
        body = {"client_id": new_id(), "child_id": enrolled["id"], "starts_on": today}
        assert (
            c.post(f"/api/v1/programmes/{programme['id']}/enrolments", json=body).status_code == 201
        )
    with app.app_context():
        care_services.withdraw(db.session.get(Child, other["id"]), None)
        db.session.commit()
    data = c.get("/projects/p1/field/data.json").get_json()
    # A withdrawn child is neither listed nor enrolled on the phone.
    assert [child["code"] for child in data["children"]] == [child["code"]]
    assert data["programmes"] == [
        {"id": programme["id"], "name": "4:30 classroom", "enrolled": [child["id"]]}
    ]
    committee = as_user(app, "committee").get("/projects/p1/field/data.json").get_json()
    assert committee["children"] == []


def test_a_fresh_token_for_syncing(app, team):
    response = as_user(app, "field_worker").get("/projects/p1/field/token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert len(response.get_json()["csrf_token"]) > 20


def test_accuracy_is_stored_and_checked_through_the_api(app, team):
    c = as_user(app, "field_worker")
    made = c.post("/api/v1/projects/p1/households", json={**HOUSEHOLD, "location_accuracy_m": 12.5})
    assert made.status_code == 201
    assert made.get_json()["location_accuracy_m"] == 12.5
    bad = c.post("/api/v1/projects/p1/households", json={**HOUSEHOLD, "location_accuracy_m": -3})
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "location_accuracy_m"
    facility = c.post(
        "/api/v1/projects/p1/facilities", json={**FACILITY, "location_accuracy_m": 80}
    )
    assert facility.status_code == 201 and facility.get_json()["location_accuracy_m"] == 80
    plain = c.post("/api/v1/projects/p1/facilities", json={**FACILITY, "name": "Clinic"})
    assert plain.get_json()["location_accuracy_m"] is None
    with app.app_context():
        stored = db.session.scalar(select(Household.location_accuracy_m))
        assert stored == 12.5
        assert sorted(
            (f.location_accuracy_m or 0) for f in db.session.scalars(select(Facility))
        ) == [0, 80]


def test_a_contact_keeps_its_place_and_accuracy(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    child = c.post(
        "/api/v1/projects/p1/children",
        json={
            "household_id": household.id,
            "birth_year": 2021,
            "sex": "boy",
            "parents_away": "both",
            "caregiver": "grandparents",
            "consent_on": "2024-01-01",
            "consent_given_by": "grandfather",
        },
    ).get_json()
    url = f"/api/v1/children/{child['id']}/contacts"
    body = {"kind": "home_visit", "on": "2024-02-01", "lat": 42.363, "lon": 119.835}
    made = c.post(url, json={**body, "location_accuracy_m": 8, "client_id": new_id()})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["location_accuracy_m"] == 8 and made.get_json()["lat"] == 42.363
    half = c.post(url, json={"kind": "home_visit", "on": "2024-02-01", "lat": 42.3})
    assert half.status_code == 400 and half.get_json()["parameter"] == "lon"
    with app.app_context():
        contact = db.session.scalar(select(ContactLog))
        assert (contact.lat, contact.lon, contact.location_accuracy_m) == (42.363, 119.835, 8)


def test_the_household_page_form_takes_the_accuracy(app, team):
    c = as_user(app, "field_worker")
    page = c.get("/projects/p1/households/new").get_data(as_text=True)
    assert 'name="location_accuracy_m"' in page and "Use my location" in page


def test_audio_types_are_told_by_their_content():
    detect = attachment_services.detect_type
    assert detect(wav_bytes()[:16]) == ("audio/wav", "wav")
    assert detect(b"OggS\x00\x02" + b"\x00" * 10) == ("audio/ogg", "ogg")
    assert detect(b"#!AMR\n" + b"\x00" * 10) == ("audio/amr", "amr")
    assert detect(b"ID3\x04\x00" + b"\x00" * 11) == ("audio/mpeg", "mp3")
    assert detect(b"\xff\xfb\x90\x64" + b"\x00" * 12) == ("audio/mpeg", "mp3")
    assert detect(b"\xff\xf1\x50\x80" + b"\x00" * 12) == ("audio/aac", "aac")
    assert detect(b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00") == ("audio/mp4", "m4a")
    assert detect(b"\x1a\x45\xdf\xa3" + b"\x00" * 12) == ("audio/webm", "webm")
    assert detect(b"\xff\xd8\xff\xe0" + b"\x00" * 12) == ("image/jpeg", "jpg")  # not MP3
    assert detect(b"\x00\x00\x00\x20ftypqt  \x00\x00\x00\x00") is None  # a video
    assert detect(b"RIFF\x00\x00\x00\x00AVI LIST") is None
    assert detect(b"<html><script>") is None


def _interview(c, **fields):
    made = c.post(
        "/api/v1/projects/p1/interviews",
        json={**INTERVIEW, "covers_audio": True, **fields},
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def test_a_recording_is_attached_once_and_checked(app, team):
    c = as_user(app, "field_worker")
    interview_id = _interview(c)
    url = f"/api/v1/interviews/{interview_id}/attachments"
    client_id = new_id()

    def upload(data, name="voice.wav", cid=None):
        return c.post(
            url,
            data={"file": (io.BytesIO(data), name), "client_id": cid or client_id},
            content_type="multipart/form-data",
        )

    first = upload(wav_bytes())
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["content_type"] == "audio/wav"
    again = upload(wav_bytes())
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    fake = upload(b"MZ\x90\x00 this is a program", "voice.mp3", new_id())
    assert fake.status_code == 400 and fake.get_json()["parameter"] == "file"
    listed = c.get(url).get_json()["attachments"]
    assert [a["id"] for a in listed] == [first.get_json()["id"]]
    page = c.get(f"/projects/p1/interviews/{interview_id}").get_data(as_text=True)
    assert "<audio controls" in page  # played on the interview's page
    played = c.get(f"/projects/p1/attachments/{first.get_json()['id']}")
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    # No consent for audio: no recording.
    other = _interview(c, covers_audio=False)
    refused = c.post(
        f"/api/v1/interviews/{other}/attachments",
        data={"file": (io.BytesIO(wav_bytes()), "v.wav"), "client_id": new_id()},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "audio" in refused.get_json()["message"]
    # The interview page's upload follows the same rule, and memos take no recordings.
    page = c.post(
        f"/projects/p1/attachments/interview/{other}",
        data={"file": (io.BytesIO(wav_bytes()), "v.wav")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "does not cover audio recording" in page.get_data(as_text=True)
    # Roles without field records may not attach.
    committee = as_user(app, "committee")
    assert committee.get(url).status_code == 404
    with app.app_context():
        assert len(db.session.scalars(select(Attachment)).all()) == 1


def test_memos_take_no_recordings(app, team):
    from tests.helpers import new_memo

    c = as_user(app, "field_worker")
    memo_id = new_memo(c)
    page = c.post(
        f"/projects/p1/attachments/memo/{memo_id}",
        data={"file": (io.BytesIO(wav_bytes()), "v.wav")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Sound recordings can be attached to interviews only" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Attachment)).all() == []


def test_the_audio_limit_is_its_own(app, team):
    app.config["MAX_ATTACHMENT_BYTES"] = 1000
    app.config["MAX_AUDIO_BYTES"] = 5000
    try:
        c = as_user(app, "field_worker")
        url = f"/api/v1/interviews/{_interview(c)}/attachments"

        def post(data):
            return c.post(
                url,
                data={"file": (io.BytesIO(data), "v.wav"), "client_id": new_id()},
                content_type="multipart/form-data",
            )

        assert post(wav_bytes(0.2)).status_code == 201  # 3.2 kB: above the general limit
        assert post(wav_bytes(1)).status_code == 413  # 16 kB
    finally:
        app.config["MAX_ATTACHMENT_BYTES"] = 10 * 1024 * 1024
        app.config["MAX_AUDIO_BYTES"] = 50 * 1024 * 1024


def test_withdrawal_hides_and_erasure_deletes_the_recording(app, team):
    c = as_user(app, "field_worker")
    interview_id = _interview(c)
    url = f"/api/v1/interviews/{interview_id}/attachments"
    made = c.post(
        url,
        data={"file": (io.BytesIO(wav_bytes()), "v.wav"), "client_id": new_id()},
        content_type="multipart/form-data",
    )
    assert made.status_code == 201
    assert c.post(f"/api/v1/interviews/{interview_id}/withdraw").status_code == 200
    assert c.get(url).status_code == 404  # the content, files included, is shown to no one
    with app.app_context():
        from cbpar.interviews import services as interviews
        from cbpar.interviews.models import Interview

        interviews.erase(db.session.get(Interview, interview_id), None)
        db.session.commit()
        assert db.session.scalars(select(Attachment)).all() == []


def test_log_out_clears_the_phone(app, team):
    c = as_user(app, "field_worker")
    page = c.get("/projects/p1/field/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = c.post("/logout", data={"csrf_token": token, "clear_device": "1"})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert c.get("/projects/p1/field/").status_code in (302, 401)
    # A browser that never used the field app has nothing to clear: a plain log-out.
    other = as_user(app, "researcher")
    page = other.get("/projects/p1/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    plain = other.post("/logout", data={"csrf_token": token})
    assert plain.status_code == 302 and "Clear-Site-Data" not in plain.headers
    assert "Clear-Site-Data" not in app.test_client().get("/login").headers
