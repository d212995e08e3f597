"""The public JSON API under /api/v1, on SQLite and PostgreSQL, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.portal.data import Province


def get(client: TestClient, url: str, status: int = 200) -> Any:
    """The JSON answer of `url`, after checking its status."""
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:500])
    assert response.headers["content-type"] == "application/json"
    return response.json()


def codes(page: dict[str, Any]) -> list[str]:
    """Task codes of a task page, in order."""
    return [item["task"]["code"] for item in page["items"]]


def test_tasks_search_accent_free_with_marked_matches(
    client: TestClient, province: Province
) -> None:
    found = get(client, "/api/v1/tasks?q=dam%20pha")

    assert codes(found) == [province.lagoon]
    assert (found["total"], found["page"], found["pages"]) == (1, 1, 1)
    title = found["items"][0]["title"]
    assert [s["text"] for s in title if s["match"]] == ["đầm", "phá"]
    assert found["items"][0]["rank"] > 0
    assert codes(get(client, "/api/v1/tasks?q=DUONG")) == [province.road]


def test_tasks_filters_order_and_pages(client: TestClient, province: Province) -> None:
    agricultural = get(client, "/api/v1/tasks?field=agricultural&sort=budget_low")
    assert codes(agricultural) == [province.failed, province.rice]
    assert codes(get(client, f"/api/v1/tasks?organisation={province.host_id}")) == [province.lagoon]
    assert codes(get(client, "/api/v1/tasks?result=published&stage=registration")) == [
        province.lagoon
    ]
    second = get(client, "/api/v1/tasks?per_page=2&page=2&sort=oldest")
    assert (second["total"], second["pages"], len(second["items"])) == (7, 4, 2)
    assert second["items"][0]["rank"] is None
    row = get(client, f"/api/v1/tasks?q={province.rice}")["items"][0]["task"]
    assert row["field"] == "agricultural" and row["stage"] == "implementation"
    assert row["host"]["short_name"] == "ĐHNL" and row["total_budget"] == 1_200_000_000
    assert row["leader"] == {
        "name": "Lê Văn Đức",
        "honorific": "TS.",
        "id": province.quiet_person_id,
    }


def test_one_task_with_its_timeline(client: TestClient, province: Province) -> None:
    task = get(client, f"/api/v1/tasks/{province.lagoon}")

    assert task["task"]["result"] == "published"
    steps = task["timeline"]["steps"]
    assert [s["stage"] for s in steps] == [
        "task-list",
        "selection",
        "implementation",
        "acceptance",
        "registration",
    ]
    assert [s["state"] for s in steps] == ["done"] * 5
    actions = [e["action"] for s in steps for e in s["events"]]
    assert actions[0] == "proposal.submit" and actions[-1] == "task.close"
    assert "decision.selection_approval" in actions and "decision.recognition" in actions
    # the list decision carries what it decided: one event, not two
    assert "task_list.approve" not in actions
    events = {e["action"]: e for s in steps for e in s["events"]}
    assert {"name": "Kết quả", "value": "Đạt"} in events["acceptance.record_result"]["details"]
    assert {"name": "Phương thức", "value": "Tuyển chọn"} in events["decision.list_approval"][
        "details"
    ]
    assert {"name": "Số quyết định", "value": "245/QĐ-UBND"} in events["decision.recognition"][
        "details"
    ]
    # what councils said and who sat stays in the audit log
    for private in ("council.propose", "council.review", "council.ballot", "selection.rank"):
        assert private not in actions
    assert task["results"][0]["documents"][0]["kind"] == "summary_report"
    assert task["funding"] == [
        {"source": "state_budget", "amount": 750_000_000},
        {"source": "counterpart", "amount": 50_000_000},
    ]
    english = get(client, f"/api/v1/tasks/{province.rice}?lang=en")
    assert english["timeline"]["steps"][0]["name"] == "Task list"
    assert english["timeline"]["current"] == "implementation"
    client.cookies.clear()


def test_people_and_profiles(client: TestClient, province: Province) -> None:
    found = get(client, "/api/v1/people?q=tran%20thi%20dao")
    assert [p["id"] for p in found["items"]] == [province.public_person_id]
    assert found["items"][0]["fields"] == ["natural_sciences"]
    profile = get(client, f"/api/v1/people/{province.public_person_id}")
    assert profile["contact"] == {
        "email": province.public_contact[0],
        "phone": province.public_contact[1],
    }
    assert [t["code"] for t in profile["led"]] == [province.lagoon]
    quiet = get(client, f"/api/v1/people/{province.quiet_person_id}")
    assert quiet["contact"] is None
    get(client, f"/api/v1/people/{province.hidden_person_id}", status=404)


def test_organisations(client: TestClient, province: Province) -> None:
    listed = get(client, "/api/v1/organisations?kind=research_institute")
    names = {o["name"]: o["tasks"] for o in listed["items"]}
    assert names["Viện Tài nguyên và Môi trường, Đại học Huế"] == 1
    one = get(client, f"/api/v1/organisations/{province.host_id}")
    assert [i["task"]["code"] for i in one["tasks"]["items"]] == [province.lagoon]
    assert [p["id"] for p in one["experts"]] == [province.public_person_id]


@pytest.mark.parametrize("dimension", ["field", "year", "organisation", "stage", "funding"])
def test_statistics(client: TestClient, province: Province, dimension: str) -> None:
    stat = get(client, f"/api/v1/statistics/{dimension}")

    assert stat["dimension"] == dimension
    assert stat["total_tasks"] == 7 == sum(r["tasks"] for r in stat["rows"])
    if dimension == "funding":
        bands = {r["key"]: r["tasks"] for r in stat["rows"]}
        assert bands["1000000000-2000000000"] == 1  # the rice task
        assert bands["300000000-500000000"] == 1  # the failed one, by its contract
    within = get(client, f"/api/v1/statistics/{dimension}?year=2025")
    assert within["total_tasks"] == 1 and within["year"] == 2025


def test_calls_selection_results_and_results(client: TestClient, province: Province) -> None:
    calls = get(client, "/api/v1/calls")
    assert [c["id"] for c in calls["open"]] == [province.open_call_id]
    assert calls["open"][0]["requirements"][0]["documents"][0] == "B1-1-DON"
    posted = get(client, "/api/v1/selection-results")
    # selected within the posting period: the recent one; not the one selected 90 days ago,
    # nor the tasks selected last year
    assert [r["task"]["code"] for r in posted] == [province.recent_selection]
    results = get(client, "/api/v1/results")
    assert [r["task_code"] for r in results["items"]] == [province.lagoon]


def test_the_api_is_in_the_openapi_document(client: TestClient) -> None:
    schema = get(client, "/openapi.json")

    paths = schema["paths"]
    for path in (
        "/api/v1/tasks",
        "/api/v1/tasks/{code}",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/organisations",
        "/api/v1/organisations/{organisation_id}",
        "/api/v1/statistics/{dimension}",
        "/api/v1/calls",
        "/api/v1/selection-results",
        "/api/v1/results",
    ):
        assert "get" in paths[path], path
    params = {p["name"] for p in paths["/api/v1/tasks"]["get"]["parameters"]}
    assert params >= {"q", "field", "year", "stage", "organisation", "funding_min", "result"}
    assert params >= {"sort", "page", "per_page", "funding_max"}
    assert "TaskPage" in schema["components"]["schemas"]
    assert not any(p.startswith(("/tasks", "/experts", "/notices")) for p in paths)


@pytest.mark.parametrize(
    ("url", "status", "where"),
    [
        ("/api/v1/tasks?page=-1", 400, "page"),
        ("/api/v1/tasks?per_page=0", 400, "per_page"),
        ("/api/v1/tasks?q=" + "x" * 10_240, 400, "q"),
        ("/api/v1/tasks?field=astrology", 400, "field"),
        ("/api/v1/tasks?year=20x", 400, "year"),
        ("/api/v1/tasks?sort=random", 400, "sort"),
        ("/api/v1/tasks?organisation=999999", 400, None),
        ("/api/v1/tasks?funding_min=9&funding_max=1", 400, None),
        ("/api/v1/tasks?page=40", 404, None),
        ("/api/v1/tasks/NV-0000-000", 404, None),
        ("/api/v1/people/999999", 404, None),
        ("/api/v1/people?organisation=999999", 400, None),
        ("/api/v1/organisations/999999", 404, None),
        ("/api/v1/statistics/colour", 400, "dimension"),
        ("/api/v1/statistics/year?year=1", 400, "year"),
    ],
)
def test_bad_requests_get_a_json_4xx_naming_the_problem(
    client: TestClient, province: Province, url: str, status: int, where: str | None
) -> None:
    answer = get(client, url, status=status)
    if where is not None:
        assert [p["name"] for p in answer["problems"]] == [where]
    else:
        assert answer["detail"] and answer["code"]


def test_statistics_are_kept_a_moment_then_recomputed(
    portal_sessions: Any, province: Province, documents_root: Any
) -> None:
    from fastapi.testclient import TestClient as Client

    from portal.app import create_app
    from portal.config import PortalConfig
    from tests.models import factories as f

    def tasks_by_year(app: Any) -> int:
        with Client(app) as c:
            return int(c.get("/api/v1/statistics/year").json()["total_tasks"])

    kept = create_app(PortalConfig(statistics_cache_seconds=3600), portal_sessions)
    fresh = create_app(PortalConfig(statistics_cache_seconds=0), portal_sessions)
    before = tasks_by_year(kept)
    with portal_sessions() as session, session.begin():
        # a task the province ordered without a proposal: public at once
        extra = f.task(session, title="Nhiệm vụ thêm cho thống kê", year=2026, with_proposal=False)
    try:
        assert tasks_by_year(kept) == before  # as computed a moment ago
        assert tasks_by_year(fresh) == before + 1
    finally:
        with portal_sessions() as session, session.begin():
            session.delete(session.get(type(extra), extra.id))
