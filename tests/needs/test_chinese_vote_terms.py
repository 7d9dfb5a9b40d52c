"""Issue 15: the vote's key words in Chinese, as docs/glossary.md chose them."""

from __future__ import annotations

from cbpar.needs.models import VoteMethod

CLOSE = {"confirm": "yes"}  # the answer on the "close the vote?" page

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def rank_form(order: list[int]) -> dict[str, str]:
    return {f"rank_{need_id}": str(i + 1) for i, need_id in enumerate(order)}


def test_an_open_round_is_under_way_not_unfinished(client, login, make_round):
    make_round(title="Which needs first?")
    login("committee")
    html = client.get("/projects/p1/votes", headers=ZH).get_data(as_text=True)
    assert "进行中" in html
    assert "未完成" not in html


def test_the_vote_page_says_beijing_time(client, login, make_round):
    round_id = make_round()
    login("committee")
    html = client.get(f"/projects/p1/votes/{round_id}", headers=ZH).get_data(as_text=True)
    assert "（北京时间）" in html or "(北京时间)" in html
    assert "Asia/Shanghai" not in html
    english = client.get(f"/projects/p1/votes/{round_id}", headers={"Accept-Language": "en"})
    assert "(Beijing time)" in english.get_data(as_text=True)


def test_results_table_heads_its_first_column_with_place_as_rank(client, login, needs, make_round):
    round_id = make_round(method=VoteMethod.BORDA)
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form([needs[2], needs[0]]))
    client.post("/logout")
    login("coordinator")
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    html = client.get(f"/projects/p1/votes/{round_id}/results", headers=ZH).get_data(as_text=True)
    assert '<th scope="col">名次</th>' in html
    assert ">地点<" not in html
