# ruff: noqa: F401, F811  (pytest fixtures imported from delivery_support)
"""Project group chats: URLs we accept, announcements reaching a local webhook receiver,
nothing for projects without channels, and the coordinators' settings page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cbpar.db import db, utcnow
from cbpar.notify import delivery
from cbpar.notify.delivery_models import ChatChannel
from cbpar.projects.models import Project
from cbpar.security import Role
from tests.helpers import PASSWORD, run
from tests.notify.delivery_support import (
    add_member,
    add_project,
    emit,
    fresh_catalogs,
    make_app,
    notify_app,
    outbox,
    send,
    smtp_server,
    webhook,
)

VOTE = {"question": "Which need first: the well or the road?", "closes": None}


@pytest.mark.parametrize(
    ("pasted", "kind", "apprise_url"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
         "wecom", "wecombot://693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"),
        ("wecombot://693a91f6-7xxx", "wecom", "wecombot://693a91f6-7xxx"),
        ("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef",
         "dingtalk", "dingtalk://0123456789abcdef/"),
        ("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef&secret=SEC0123abc",
         "dingtalk", "dingtalk://SEC0123abc@0123456789abcdef/"),
        ("dingtalk://0123456789abcdef/", "dingtalk", "dingtalk://0123456789abcdef/"),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/8b2d2b0c-1234-abcd",
         "feishu", "feishu://8b2d2b0c-1234-abcd"),
        ("https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
         "slack", "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"),
        ("matrix://bot:pw@matrix.example.org/#village", "matrix",
         "matrix://bot:pw@matrix.example.org/#village"),
        ("jsons://hooks.example.org/cbpar", "json", "jsons://hooks.example.org/cbpar"),
    ],
)  # fmt: skip
def test_pasted_webhooks_and_apprise_urls_are_accepted(notify_app, pasted, kind, apprise_url):
    with notify_app.app_context():
        found_kind, url = delivery.parse_channel_url(pasted)
    assert (found_kind.value, url) == (kind, apprise_url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.org/hook",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",  # no key
        "https://oapi.dingtalk.com/robot/send?token=abc",  # not access_token
        "mailto://someone@example.org",  # e-mail is not a group chat
        "dingtalk://not a token!/",
    ],
)
def test_bad_urls_are_refused_with_a_clear_message(notify_app, url):
    with notify_app.app_context(), pytest.raises(delivery.ChannelError) as error:
        delivery.parse_channel_url(url)
    assert str(error.value)


def test_urls_are_masked():
    masked = delivery.masked("wecombot://693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
    assert masked == "wecombot://••••5aaa" and "693a91f6" not in masked


def _channel(app, project_id, url, **fields):
    with app.app_context():
        channel = delivery.add_channel(db.session.get(Project, project_id), url, **fields)
        db.session.commit()
        return channel.id


def test_an_announcement_reaches_the_group_chat(notify_app, webhook):
    app = notify_app
    project = add_project(app)
    voter = add_member(app, project, "ann", locale="en")
    _channel(app, project, webhook.url("/village"), name="Village group", locale="en")
    emit(app, "vote_opened", project, [voter], params=VOTE, url="/projects/p1/votes/3",
         dedupe="vote_opened:3", announce=True)  # fmt: skip
    # The same announcement again (a retried request) is not posted twice.
    emit(app, "vote_opened", project, [voter], params=VOTE, url="/projects/p1/votes/3",
         dedupe="vote_opened:3", announce=True)  # fmt: skip
    summary = send(app)
    assert summary.sent == 2  # the voter's e-mail and the group's message
    (post,) = webhook.posts
    assert post["path"] == "/village"
    message = post["body"]["message"]
    assert message.startswith("【CBPAR Workspace】Project p1")
    assert VOTE["question"] in message
    assert "https://cbpar.example.org/projects/p1/votes/3" in message
    chats = [m for m in outbox(app) if m.channel == "chat"]
    assert len(chats) == 1 and chats[0].status == "sent"
    assert chats[0].to_address == ""  # the secret URL stays in chat_channel only


def test_the_channel_language_is_used(notify_app, webhook):
    app = notify_app
    project = add_project(app)
    _channel(app, project, webhook.url(), locale="zh_Hans")
    meeting = {"title": "村民大会", "starts": "2026-12-03T02:00:00+00:00", "meeting_id": 1}
    emit(app, "meeting_planned", project, [], announce=True, params=meeting)
    send(app)
    (post,) = webhook.posts
    assert post["body"]["message"].startswith("【CBPAR 工作台】")
    assert "村民大会" in post["body"]["message"]


def test_nothing_goes_to_chats_without_channels_or_for_private_kinds(notify_app, webhook):
    app = notify_app
    project = add_project(app)
    other = add_project(app, "p2")
    voter = add_member(app, project, "ann")
    _channel(app, other, webhook.url(), kinds=["vote_results"])  # another project's group
    emit(app, "vote_opened", project, [voter], params=VOTE, announce=True)
    # Not an announcement, or not a kind for chats, or a kind the channel did not choose:
    emit(app, "vote_opened", other, [], params=VOTE, announce=False)
    emit(app, "action_assigned", other, [], params={"meeting": "M", "due": None}, announce=True)
    emit(app, "meeting_planned", other, [], announce=True,
         params={"title": "T", "starts": "2026-12-03T02:00:00+00:00", "meeting_id": 1})  # fmt: skip
    send(app)
    assert webhook.posts == []
    assert [m for m in outbox(app) if m.channel == "chat"] == []


def test_a_disabled_channel_gets_nothing(notify_app, webhook):
    app = notify_app
    project = add_project(app)
    channel_id = _channel(app, project, webhook.url())
    with app.app_context():
        db.session.get(ChatChannel, channel_id).active = False
        db.session.commit()
    emit(app, "vote_results", project, [], params={"question": "Q"}, announce=True)
    send(app)
    assert webhook.posts == []


def test_a_failed_chat_post_is_retried(notify_app):
    app = notify_app
    project = add_project(app)
    from tests.notify.delivery_support import Receiver

    receiver = Receiver()  # bound, but not serving yet: the post fails
    receiver.server.server_close()
    port = receiver.port
    _channel(app, project, f"json://127.0.0.1:{port}/hook")
    emit(app, "vote_results", project, [], params={"question": "Q"}, announce=True)
    assert send(app).failed == 1
    (row,) = outbox(app)
    assert (row.status, row.attempts) == ("failed", 1) and row.last_error
    receiver = Receiver.on_port(port)
    receiver.thread.start()
    try:
        assert send(app, now=utcnow() + timedelta(minutes=2)).sent == 1
        assert len(receiver.posts) == 1
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_the_command_line_adds_and_lists_channels(notify_app, webhook):
    app = notify_app
    add_project(app)
    url = (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    )
    result = run(app, "notify", "channel", "add", "p1", url, "--name", "Shuanghe group")
    assert result.exit_code == 0, result.output
    assert "693a91f6" not in result.output and "wecombot://••••5aaa" in result.output
    result = run(app, "notify", "channel", "list", "p1")
    assert "Shuanghe group" in result.output and "693a91f6" not in result.output
    bad = run(app, "notify", "channel", "add", "p1", "https://example.org/x")
    assert bad.exit_code != 0 and "cannot send" in bad.output
    assert run(app, "notify", "channel", "add", "nope", url).exit_code != 0


def _client(app, username):
    client = app.test_client()
    assert (
        client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    )
    return client


def test_the_channels_page_is_for_coordinators(notify_app, webhook):
    app = notify_app
    project = add_project(app)
    add_member(app, project, "coord", role=Role.COORDINATOR)
    add_member(app, project, "member", role=Role.COMMITTEE)
    page = "/projects/p1/notifications/channels"
    assert _client(app, "member").get(page).status_code == 403
    client = _client(app, "coord")
    assert client.get(page).status_code == 200
    assert page in client.get("/projects/p1/settings").text  # linked from the settings

    refused = client.post(page, data={"url": "https://example.org/x", "locale": "en"})
    assert refused.status_code == 422 and "cannot send" in refused.text
    wecom = (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    )
    added = client.post(page, data={"name": "WeCom", "url": wecom, "locale": "zh_Hans",
                                    "kinds": ["vote_opened", "meeting_planned"]})  # fmt: skip
    assert added.status_code == 302
    shown = client.get(page).text
    assert "693a91f6" not in shown and "••••5aaa" in shown
    with app.app_context():
        channel = db.session.scalar(select(ChatChannel))
        assert (channel.kind, channel.kinds) == ("wecom", ["vote_opened", "meeting_planned"])
        channel.url = webhook.url()  # point it at the local receiver for the test message
        db.session.commit()
        channel_id = channel.id

    base = f"{page}/{channel_id}"
    assert client.post(f"{base}/test").status_code == 302  # queued, not sent in the request
    assert webhook.posts == []
    send(app)
    (post,) = webhook.posts
    assert post["body"]["message"].startswith("【CBPAR 工作台】")

    client.post(f"{base}/kinds", data={f"c{channel_id}-kinds": ["vote_results"]})
    client.post(f"{base}/active")
    with app.app_context():
        channel = db.session.get(ChatChannel, channel_id)
        assert (channel.kinds, channel.active) == (["vote_results"], False)
    assert _client(app, "member").post(f"{base}/delete").status_code == 403
    client.post(f"{base}/delete")
    with app.app_context():
        assert db.session.get(ChatChannel, channel_id) is None
