"""The portal's foundation: languages, layout, error pages, headers, local assets, API docs."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from portal.i18n import CATALOGUES, choose_language, parse_accept_language


def page(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def test_home_is_vietnamese_by_default_with_a_title_and_skip_link(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    soup = page(response)
    assert soup.html["lang"] == "vi"
    assert soup.title.text.startswith("Trang chủ — Sở Khoa học và Công nghệ")
    assert soup.find("a", class_="skip-link")["href"] == "#main"
    assert soup.find("main", id="main") is not None
    assert response.headers["content-language"] == "vi"


def test_lang_query_switches_to_english_and_is_remembered_in_a_cookie(client: TestClient) -> None:
    response = client.get("/?lang=en")

    assert page(response).html["lang"] == "en"
    assert page(response).title.text.startswith("Home — ")
    assert page(response).find("h1").text == "Science and Technology Portal"
    assert "lang=en" in response.headers["set-cookie"]
    # the cookie now decides without the query
    assert page(client.get("/")).html["lang"] == "en"
    assert page(client.get("/?lang=vi")).html["lang"] == "vi"


def test_accept_language_is_the_default_choice(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8,vi;q=0.5"})

    assert page(response).html["lang"] == "en"


def test_language_choice_order() -> None:
    assert choose_language("en", "vi", "vi") == "en"
    assert choose_language("xx", "en", "vi") == "en"
    assert choose_language(None, None, "fr, en;q=0.3, vi;q=0.9") == "vi"
    assert choose_language(None, None, "fr") == "vi"
    assert parse_accept_language("en;q=0, vi") == ["vi"]


def test_the_language_switch_keeps_the_other_parameters(client: TestClient) -> None:
    soup = page(client.get("/?page=2"))
    english = soup.select_one(".language-switch a[hreflang=en]")

    assert english["href"] == "?page=2&lang=en"


def test_unknown_page_is_a_404_in_the_layout(client: TestClient) -> None:
    response = client.get("/khong-co-trang-nay")

    assert response.status_code == 404
    soup = page(response)
    assert soup.find("h1").text.strip().startswith("Không tìm thấy trang")
    assert soup.find("header", class_="site-header") is not None


def test_unknown_api_route_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/khong-co")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_security_headers_allow_only_the_portal_itself(client: TestClient) -> None:
    headers = client.get("/").headers

    assert "default-src 'self'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_no_page_loads_anything_from_another_host(client: TestClient) -> None:
    for url in ("/", "/docs", "/khong-co"):
        soup = page(client.get(url))
        for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src")):
            for element in soup.find_all(tag):
                value = element.get(attribute) or ""
                assert not re.match(r"^(https?:)?//", value), (url, value)


def test_vendor_assets_are_served_locally(client: TestClient) -> None:
    echarts = client.get("/static/vendor/echarts.min.js")
    swagger = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")

    assert echarts.status_code == 200 and "echarts" in echarts.text[:5000].lower()
    assert swagger.status_code == 200


def test_api_docs_and_openapi_are_published(client: TestClient) -> None:
    docs = client.get("/docs")
    schema = client.get("/openapi.json")

    assert docs.status_code == 200
    assert page(docs).find(id="swagger-ui")["data-openapi-url"] == "/openapi.json"
    assert schema.json()["openapi"].startswith("3.")


def test_every_text_has_a_vietnamese_translation() -> None:
    with (CATALOGUES / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="vi")
    template = (CATALOGUES / "messages.pot").read_text(encoding="utf-8")
    # a plural entry's translation is a tuple of forms (Vietnamese has one)
    untranslated = [
        m.id for m in catalogue if m.id and not all(m.string if m.pluralizable else [m.string])
    ]

    assert untranslated == []
    # the catalogue covers every text extracted (make messages was run after adding texts)
    for msgid in re.findall(r'^msgid "(.+)"$', template, flags=re.M):
        assert catalogue.get(msgid.replace('\\"', '"')) is not None, msgid
