"""What is private stays private: no public page or API response shows any of it.

The province of tests/portal/data.py plants every kind of private value named by
models/publicity.py (scores, reviews, votes, council membership, personal contact data,
dossiers under review, a rejected proposal's content); this module reads every public page and
API response and looks for them, and checks that the public read code cannot reach the rows
that hold them.
"""

from __future__ import annotations

import importlib

import pytest
from fastapi.testclient import TestClient

from models.publicity import PRIVATE_MODELS
from tests.portal.data import COUNCIL_WORDS, Province, public_urls

PUBLIC_READERS = [
    "models.services.catalogue",
    "models.services.directory",
    "models.services.public_notices",
    "models.services.statistics",
    "models.services.listing",
    "models.timeline",
    "portal.public.routes",
    "portal.public.api",
    "portal.public.exports",
]


def spellings(secret: str) -> list[str]:
    """A secret as a page might write it: as stored, and numbers grouped as money."""
    found = [secret]
    if secret.isdigit():
        grouped = f"{int(secret):,}"
        found += [grouped, grouped.replace(",", ".")]
    return found


def test_no_public_page_or_api_response_shows_anything_private(
    client: TestClient, province: Province
) -> None:
    assert len(province.secrets) > 20
    for url in public_urls(province):
        for lang in ("vi", "en"):
            response = client.get(url, params={"lang": lang})
            assert response.status_code == 200, url
            for secret in province.secrets:
                for written in spellings(secret):
                    assert written not in response.text, (url, secret)
    client.cookies.clear()


def test_a_profile_never_says_which_councils_the_person_sat_on(
    client: TestClient, province: Province
) -> None:
    html = client.get(f"/people/{province.council_person_id}").text
    api = client.get(f"/api/v1/people/{province.council_person_id}").text

    assert "council" not in api.lower()
    for word in COUNCIL_WORDS:
        assert word not in html


def test_the_task_of_a_proposal_not_yet_approved_is_nowhere(
    client: TestClient, province: Province
) -> None:
    assert len(province.provisional) == 2
    for code in province.provisional:
        assert client.get(f"/tasks/{code}").status_code == 404
        assert client.get(f"/api/v1/tasks/{code}").status_code == 404
        assert client.get(f"/api/v1/tasks?q={code}").json()["total"] == 0
    assert client.get("/api/v1/statistics/year").json()["total_tasks"] == 7


def test_documents_of_a_registration_other_than_the_public_kinds_are_not_served(
    client: TestClient, province: Province
) -> None:
    assert client.get(f"/documents/{province.private_document_id}").status_code == 404
    task = client.get(f"/api/v1/tasks/{province.lagoon}").json()
    kinds = [d["kind"] for r in task["results"] for d in r["documents"]]
    assert kinds == ["summary_report"]


@pytest.mark.parametrize("module_name", PUBLIC_READERS)
def test_the_public_read_code_cannot_reach_the_private_rows(module_name: str) -> None:
    module = importlib.import_module(module_name)

    reached = [value for value in vars(module).values() if value in PRIVATE_MODELS]
    assert reached == []
