"""Values at the edges of their types: a cursor past any 64-bit integer, time windows whose UTC
falls outside years 1-9999. Each used to be a 500; each is now answered as what it means."""

from __future__ import annotations

import base64
import json

import pytest

from api.support import Api, assert_problem


def _cursor(before: object) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": before}).encode()).decode().rstrip("=")


@pytest.mark.parametrize("before", [2**31, 2**63, 2**64 + 5, 10**40])
def test_a_cursor_past_every_row_is_the_first_page(api: Api, before: int) -> None:
    created = [api.create_draft()["id"] for _ in range(3)]
    response = api.client.get("/v1/drafts", params={"cursor": _cursor(before), "limit": 2},
                              headers=api.auth("qa"))
    assert response.status_code == 200, response.text
    page = response.json()
    assert [d["id"] for d in page["data"]] == created[::-1][:2]
    rest = api.client.get("/v1/drafts", params={"cursor": page["next_cursor"]},
                          headers=api.auth("qa")).json()
    assert [d["id"] for d in rest["data"]] == created[:1]


@pytest.mark.parametrize("before", [-1, 1.5, "9", None, True])
def test_a_forged_cursor_of_the_wrong_kind_is_still_a_problem(api: Api, before: object) -> None:
    response = api.client.get("/v1/drafts", params={"cursor": _cursor(before)},
                              headers=api.auth("qa"))
    assert_problem(response, 400)


@pytest.mark.parametrize("window", [
    {"since": "0001-01-01T00:00:00+14:00"},
    {"until": "9999-12-31T23:59:59-14:00"},
    {"since": "0001-01-01T00:00:00+14:00", "until": "9999-12-31T23:59:59-14:00"},
    {"since": "0001-01-01T00:00:00"},
    {"until": "9999-12-31T23:59:59.999999"},
])
def test_windows_at_the_ends_of_time_count_every_draft(api: Api, window: dict[str, str]
                                                        ) -> None:
    api.create_draft()
    api.create_draft()
    response = api.client.get("/v1/stats", params=window, headers=api.auth("supervisor"))
    assert response.status_code == 200, response.text
    assert response.json()["totals"]["created"] == 2


def test_a_window_entirely_before_year_one_in_utc_is_the_empty_window_problem(api: Api) -> None:
    response = api.client.get("/v1/stats", params={"since": "0001-01-01T00:00:00+14:00",
                                                   "until": "0001-01-01T00:00:00+13:00"},
                              headers=api.auth("supervisor"))
    # Both ends clamp to the first representable moment: an empty window, as for since=until.
    assert_problem(response, 400)
