"""The public pages, parsed as HTML, on SQLite and PostgreSQL (one province per module)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.portal.data import COUNCIL_WORDS, Province, public_urls


def page(client: TestClient, url: str, status: int = 200) -> BeautifulSoup:
    """The page at `url`, parsed, after checking its status."""
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:500])
    return BeautifulSoup(response.text, "html.parser")


def text(soup: BeautifulSoup | None) -> str:
    """The visible words of an element, spaces normalised."""
    assert soup is not None
    return " ".join(soup.get_text(" ").split())


def hit_codes(soup: BeautifulSoup) -> list[str]:
    """Task codes of a result list, in order."""
    return [text(hit.select_one(".code")) for hit in soup.select(".task-hit")]


def test_every_public_page_has_a_title_and_one_heading(
    client: TestClient, province: Province
) -> None:
    for url in public_urls(province):
        if url.startswith("/api/") or ".csv" in url:
            continue
        soup = page(client, url)
        assert soup.title is not None and soup.title.text.strip(), url
        assert len(soup.find_all("h1")) == 1, url
        assert soup.find("main", id="main") is not None, url
        for field in soup.select("main input, main select"):
            if field.get("type") == "hidden":
                continue
            assert soup.find("label", attrs={"for": field["id"]}) is not None, (url, field)


def test_home_shows_the_steps_open_calls_results_a_chart_and_the_search_box(
    client: TestClient, province: Province
) -> None:
    soup = page(client, "/")

    form = soup.find("form", role="search")
    assert form["action"] == "/tasks" and form.find("input", attrs={"name": "q"}) is not None
    cards = {
        text(c.find_all("span")[1]): text(c.select_one(".stat"))
        for c in soup.select(".stage-cards .card")
    }
    assert cards["5. Đăng ký, lưu giữ, công bố kết quả"] == "1"
    assert cards["3. Triển khai thực hiện"] == "1"
    calls = soup.find("section", attrs={"aria-labelledby": "calls"})
    assert calls.find("a", href=f"/notices/calls/{province.open_call_id}") is not None
    days = (province.open_call_closes_on - date.today()).days
    # the days left count from today in Huế, which may be a day ahead of this machine's
    assert f"còn {days} ngày" in text(calls) or f"còn {days - 1} ngày" in text(calls)
    results = soup.find("section", attrs={"aria-labelledby": "results"})
    assert "Quy trình phục hồi thảm cỏ biển" in text(results)
    chart = json.loads(soup.find("script", id="chart-home-field").string)
    assert chart["kind"] == "pie" and "Khoa học nông nghiệp" in chart["labels"]
    assert soup.find("script", src="/static/js/charts.js") is not None


@pytest.mark.parametrize(
    "typed",
    ["dam pha", "ĐẦM PHÁ", "Đầm phá", "dam", "tam giang cau hai"],
)
def test_search_without_accents_finds_and_marks_the_accented_title(
    client: TestClient, province: Province, typed: str
) -> None:
    soup = page(client, "/tasks?q=" + typed)

    assert hit_codes(soup)[0] == province.lagoon
    marked = [text(m) for m in soup.select(".task-hit")[0].select(".task-hit-title mark")]
    assert marked and all(word.lower() in "đầm phá tam giang cầu hai" for word in marked)
    assert soup.find("input", id="q")["value"] == typed


def test_d_with_stroke_folds_both_ways(client: TestClient, province: Province) -> None:
    for typed in ("duong giao thong", "Đường", "DUONG"):
        assert hit_codes(page(client, "/tasks?q=" + typed)) == [province.road], typed
    # the host organisation, the investigator and the field are searched too
    assert province.lagoon in hit_codes(page(client, "/tasks?q=tran thi dao"))
    assert province.rice in hit_codes(page(client, "/tasks?q=nong lam"))
    assert page(client, "/tasks?q=xyzzy").select(".task-hit") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("field=agricultural", {"rice", "failed"}),
        ("year=2025", {"failed"}),
        ("stage=implementation", {"rice"}),
        ("organisation={host}", {"lagoon"}),
        ("funding_min=1000", {"rice"}),
        ("funding_min=300&funding_max=500", {"failed"}),
        ("result=published", {"lagoon"}),
        ("result=failed", {"failed"}),
        ("q=lua&field=agricultural&year=2026", {"rice"}),
        ("field=&year=&stage=&q=&result=&organisation=&funding_min=&sort=", None),
    ],
)
def test_filters_narrow_the_list(
    client: TestClient, province: Province, query: str, expected: set[str] | None
) -> None:
    codes = set(
        hit_codes(page(client, "/tasks?per_page=100&" + query.format(host=province.host_id)))
    )
    if expected is None:  # an empty form means no filter at all
        assert len(codes) == 7
    else:
        assert codes == {getattr(province, name) for name in expected}


def test_sorting_and_pages(client: TestClient, province: Province) -> None:
    assert hit_codes(page(client, "/tasks?sort=budget_high"))[0] == province.rice
    titles = [
        text(h.select_one(".task-hit-title"))
        for h in page(client, "/tasks?sort=title&per_page=100").select(".task-hit")
    ]
    assert titles[0].startswith("Bảo vệ")  # "B" first: the folded title sorts
    first = page(client, "/tasks?per_page=3")
    assert len(first.select(".task-hit")) == 3
    nav = first.find("nav", class_="pagination")
    assert nav.find("a", rel="next")["href"] == "?per_page=3&page=2"
    third = page(client, "/tasks?per_page=3&page=3")
    assert len(third.select(".task-hit")) == 1
    assert third.find("ol", class_="task-hits")["start"] == "7"
    assert "(trang 3)" in third.title.text


def test_csv_export_holds_the_whole_filtered_set(client: TestClient, province: Province) -> None:
    response = client.get("/tasks.csv?field=agricultural&per_page=1&page=1")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Mã", "Tên nhiệm vụ", "Năm"]
    assert {row[0] for row in rows[1:]} == {province.rice, province.failed}
    rice = next(row for row in rows if row[0] == province.rice)
    assert rice[3] == "Khoa học nông nghiệp" and rice[11] == "1200000000"
    # the link from the list points at the same filters
    link = page(client, "/tasks?field=agricultural").find("a", string="Tải về CSV")
    assert link["href"] == "/tasks.csv?field=agricultural&page=1"
    english = client.get("/tasks.csv?q=dam+pha&lang=en")
    assert english.text.lstrip("\ufeff").startswith("Code,Title,Year")


def test_a_task_page_shows_the_five_steps_with_what_happened(
    client: TestClient, province: Province
) -> None:
    soup = page(client, f"/tasks/{province.lagoon}")

    assert text(soup.find("h1")) == "Bảo vệ hệ sinh thái đầm phá Tam Giang - Cầu Hai"
    steps = soup.select("ol.timeline > li")
    assert [s["class"][0] for s in steps] == ["done"] * 5
    assert text(steps[0].select_one(".step-name")) == "1. Xây dựng danh mục nhiệm vụ"
    first = [text(e.select_one(".event-text")) for e in steps[0].select(".step-events li")]
    assert first == [
        "Nộp đề xuất đặt hàng",
        "Tiếp nhận đề xuất, cấp mã nhiệm vụ",
        "Đề xuất hợp lệ, chuyển hội đồng tư vấn",
        "Thành lập Hội đồng tư vấn xác định nhiệm vụ",
        "Hội đồng tư vấn xác định nhiệm vụ kết luận",
        "Phê duyệt danh mục nhiệm vụ",
        "Công bố danh mục nhiệm vụ",
    ]
    # the list decision and what it decided are one event, dated by its day
    approval = steps[0].select(".step-events li")[5]
    assert [text(d) for d in approval.select(".event-detail")] == [
        "Số quyết định: 12/QĐ-UBND",
        "Ngày ký: 03/12/2025",
        "Phương thức: Tuyển chọn",
    ]
    assert approval.find("time")["datetime"].startswith("2025-12-03")
    second = text(steps[1])
    assert f"Số thông báo: {province.lagoon_call}" in second
    for happened in (
        "Mở hồ sơ, kiểm tra tính hợp lệ",
        "Thành lập Hội đồng tư vấn tuyển chọn",
        "Hội đồng tuyển chọn đánh giá hồ sơ",
        "Thẩm định kinh phí",
        "Phê duyệt tổ chức, cá nhân chủ trì Số quyết định: 56/QĐ-UBND",
    ):
        assert happened in second, happened
    assert "Ký hợp đồng" in second and "Ngày ký: 25/03/2026" in second
    assert "Nộp báo cáo định kỳ Kỳ báo cáo: 1" in text(steps[2])
    assert "Kết quả: Đạt" in text(steps[3])
    assert "Hoàn thiện hồ sơ sau nghiệm thu" in text(steps[3])
    fifth = text(steps[4])
    assert "Số giấy chứng nhận: 001/2027/GCN-KHCN" in fifth
    assert "Quyết định công nhận kết quả thực hiện nhiệm vụ Số quyết định: 245/QĐ-UBND" in fifth
    for happened in ("Lưu giữ hồ sơ, kết quả", "Công bố kết quả", "Thanh lý hợp đồng"):
        assert happened in fifth, happened
    assert fifth.endswith("Hoàn thành nhiệm vụ")
    # nothing of how the councils judged: no ballots, reviews, rankings or attendance
    timeline = text(soup.select_one("ol.timeline"))
    for private in ("phiếu", "Phiếu", "nhận xét", "xếp hạng", "có mặt", "điểm"):
        assert private not in timeline, private
    acceptance = text(soup.select_one(".facts"))
    assert "245/QĐ-UBND" in acceptance and "Đạt" in acceptance
    facts = text(soup.select_one(".facts"))
    assert "PGS.TS. Trần Thị Đào" in facts and "800.000.000 đ" in facts
    assert "Ngân sách nhà nước 750.000.000 đ" in facts
    team = text(soup.find("section", attrs={"aria-labelledby": "team-heading"}))
    assert "ThS. Nguyễn Văn Bình Thành viên thực hiện chính" in team
    # the investigator has a public profile (a link), the member has none (plain text)
    assert soup.find("a", href=f"/people/{province.public_person_id}") is not None
    assert soup.find("a", href=f"/people/{province.hidden_person_id}") is None
    result = soup.find("section", attrs={"aria-labelledby": "results-heading"})
    assert "001/2027/GCN-KHCN" in text(result)
    assert [a["href"] for a in result.select(".documents a")] == [
        f"/documents/{province.public_document_id}"
    ]


def test_the_current_and_the_failed_step(client: TestClient, province: Province) -> None:
    rice = page(client, f"/tasks/{province.rice}").select("ol.timeline > li")
    assert [s["class"][0] for s in rice] == ["done", "done", "current", "upcoming", "upcoming"]
    assert rice[2]["aria-current"] == "step"
    # directly assigned: no call for applications on its timeline, the invitation instead
    assert "Thông báo tuyển chọn" not in text(rice[1])
    assert "Giao trực tiếp: đề nghị tổ chức, cá nhân nộp hồ sơ" in text(rice[1])
    assert "Thành lập Hội đồng tư vấn giao trực tiếp" in text(rice[1])
    failed = page(client, f"/tasks/{province.failed}").select("ol.timeline > li")
    assert [s["class"][0] for s in failed][3] == "failed"
    assert "Kết quả: Không đạt" in text(failed[3])
    assert text(failed[3]).endswith("Kết thúc nhiệm vụ: không đạt")
    assert [s["class"][0] for s in failed][4] == "upcoming"


def test_public_documents_download_and_private_ones_do_not(
    client: TestClient, province: Province
) -> None:
    public = client.get(f"/documents/{province.public_document_id}")
    assert public.status_code == 200 and public.content.startswith(b"%PDF")
    assert "bao-cao-tom-tat.pdf" in public.headers["content-disposition"]
    assert client.get(f"/documents/{province.private_document_id}").status_code == 404


def test_notices_proposals_show_a_rejected_proposal_by_title_only(
    client: TestClient, province: Province
) -> None:
    soup = page(client, "/notices/proposals?year=2026")

    rows = {text(r.find_all("td")[1]): r for r in soup.select("tbody tr")}
    rejected = rows[province.rejected_title]
    assert "withheld" in rejected["class"]
    assert len(rejected.find_all("td")) == 3
    pending = rows[province.pending_title]
    assert "Đã nộp" in text(pending)
    approved = rows["Bảo vệ hệ sinh thái đầm phá Tam Giang - Cầu Hai"]
    assert approved.find("a")["href"] == f"/tasks/{province.lagoon}"


def test_notices_task_lists_calls_selection_results_and_accepted(
    client: TestClient, province: Province
) -> None:
    lists = page(client, "/notices/task-lists?year=2026")
    codes = [text(r.find("td")) for r in lists.select("tbody tr")]
    assert province.lagoon in codes and province.listed in codes and province.failed not in codes
    lagoon = next(r for r in lists.select("tbody tr") if text(r.find("td")) == province.lagoon)
    # approved by a decision of the People's Committee: its number and the day it was signed
    assert [text(td) for td in lagoon.find_all("td")[4:6]] == ["12/QĐ-UBND", "03/12/2025"]

    calls = page(client, "/notices/calls")
    assert calls.find("a", href=f"/notices/calls/{province.open_call_id}") is not None
    past = text(calls.find("section", attrs={"aria-labelledby": "past-heading"}))
    assert province.lagoon_call in past
    call = page(client, f"/notices/calls/{province.open_call_id}")
    assert "Đơn đăng ký chủ trì (B1-1-ĐON)" in text(call)
    assert "Thuyết minh đề tài (B1-2a)" in text(call)
    assert province.road in text(call.find("table"))
    assert "Đang nhận hồ sơ" in text(call) or "Đang mở" in text(call)

    results = page(client, "/notices/selection-results")
    body = text(results.find("table"))
    assert province.recent_selection in body and province.old_selection not in body
    assert "60 ngày" in text(results) and "Điều 16" in text(results)
    today = date.today()
    assert (today + timedelta(days=60)).strftime("%d/%m/%Y") in body

    accepted = page(client, "/notices/accepted?year=2027")
    assert [text(r.find("td")) for r in accepted.select("tbody tr")] == [province.lagoon]
    assert page(client, "/notices/accepted?year=2026").select("tbody tr") == []  # failed
    assert page(client, "/notices").find("a", href="/notices/selection-results") is not None


def test_experts_directory_searches_without_accents(client: TestClient, province: Province) -> None:
    soup = page(client, "/experts?q=tran thi dao")
    names = [text(h) for h in soup.select(".person-name")]
    assert names == ["PGS.TS. Trần Thị Đào"]
    assert [text(m) for m in soup.select(".person-name mark")] == ["Trần", "Thị", "Đào"]
    assert page(client, "/experts?q=dam pha").select(".person-name")  # her expertise
    by_field = [
        text(h)
        for h in page(client, "/experts?field=agricultural&per_page=100").select(".person-name")
    ]
    assert "TS. Lê Văn Đức" in by_field and "PGS.TS. Trần Thị Đào" not in by_field
    by_org = page(client, f"/experts?organisation={province.host_id}").select(".person-name")
    assert [text(h) for h in by_org] == ["PGS.TS. Trần Thị Đào"]
    everyone = text(page(client, "/experts?per_page=100").find("main"))
    assert "Nguyễn Văn Bình" not in everyone  # no public profile


def test_profiles_show_contact_data_only_where_chosen_and_no_councils(
    client: TestClient, province: Province
) -> None:
    dao = page(client, f"/people/{province.public_person_id}")
    assert text(dao.find("h1")) == "PGS.TS. Trần Thị Đào"
    email, phone = province.public_contact
    assert dao.find("a", href=f"mailto:{email}") is not None and phone in text(dao)
    led = dao.find("section", attrs={"aria-labelledby": "led-heading"})
    assert province.lagoon in text(led)
    assert "Quy trình phục hồi thảm cỏ biển" in text(dao)

    duc = page(client, f"/people/{province.quiet_person_id}")
    assert duc.find("dd", class_="contact") is None and "mailto:" not in str(duc.find("main"))
    joined_or_led = text(duc.find("main"))
    assert province.rice in joined_or_led

    sat = text(page(client, f"/people/{province.council_person_id}").find("main"))
    for word in COUNCIL_WORDS:
        assert word not in sat
    page(client, f"/people/{province.hidden_person_id}", status=404)


def test_organisations_and_an_organisation_page(client: TestClient, province: Province) -> None:
    rows = {
        text(r.find("td").find("a")): text(r.find_all("td")[2])
        for r in page(client, "/organisations?per_page=100").select("tbody tr")
    }
    assert rows["Viện Tài nguyên và Môi trường, Đại học Huế"] == "1"
    # the university hosts the rice task and the two selected by call; the seed centre, the
    # failed task (and is barred from more)
    assert rows["Trường Đại học Nông Lâm, Đại học Huế"] == "3"
    assert rows["Trung tâm Giống cây trồng Thừa Thiên"] == "1"
    org = page(client, f"/organisations/{province.host_id}")
    assert text(org.find("h1")).startswith("Viện Tài nguyên và Môi trường")
    assert province.lagoon in text(org.find("table"))
    assert "Trần Thị Đào" in text(org.find("section", attrs={"aria-labelledby": "experts-heading"}))


def test_statistics_as_charts_tables_and_csv(client: TestClient, province: Province) -> None:
    soup = page(client, "/statistics")

    sections = soup.select("section.statistic")
    assert [s["id"] for s in sections] == [
        "stat-field",
        "stat-year",
        "stat-organisation",
        "stat-stage",
        "stat-funding",
    ]
    for section in sections:
        dimension = section["id"].removeprefix("stat-")
        chart = section.select_one(".chart")
        data = json.loads(section.find("script", id=chart["data-chart"]).string)
        table = [(text(r.find("th")), int(text(r.find("td")))) for r in section.select("tbody tr")]
        assert list(zip(data["labels"], data["values"], strict=True)) == table
        assert section.find("a", href=f"/statistics/{dimension}.csv") is not None
    by_year = dict((text(r.find("th")), text(r.find("td"))) for r in sections[1].select("tbody tr"))
    assert by_year == {"2025": "1", "2026": "6"}
    funding = sections[4].select("tfoot td")
    assert text(funding[0]) == "7"

    csv_text = client.get("/statistics/stage.csv").text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["Mã", "Nhóm", "Số nhiệm vụ", "Tổng kinh phí (đồng)"]
    assert rows[-1][1:3] == ["Tổng cộng", "7"]
    within = page(client, "/statistics?year=2025").select_one("#stat-field tfoot td")
    assert text(within) == "1"
    assert client.get("/statistics/field.csv?year=2025").status_code == 200


def test_the_register_of_results(client: TestClient, province: Province) -> None:
    soup = page(client, "/results")
    rows = soup.select("tbody tr")
    assert len(rows) == 1 and province.lagoon in text(rows[0])


def test_pages_switch_to_english(client: TestClient, province: Province) -> None:
    soup = page(client, f"/tasks/{province.lagoon}?lang=en")
    assert soup.html["lang"] == "en"
    assert text(soup.select_one(".timeline .step-name")) == "1. Task list"
    assert "Proposal submitted" in text(soup.select_one(".timeline"))
    assert text(page(client, "/tasks?lang=en").find("h1")) == "S&T task database"
    client.cookies.clear()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/tasks?page=-1", 400),
        ("/tasks?page=0", 400),
        ("/tasks?page=abc", 400),
        ("/tasks?per_page=1000", 400),
        ("/tasks?q=" + "a" * 10_240, 400),
        ("/tasks?q=" + "+".join(f"w{i}" for i in range(20)), 400),
        ("/tasks?field=astrology", 400),
        ("/tasks?stage=step-6", 400),
        ("/tasks?year=12", 400),
        ("/tasks?organisation=999999", 400),
        ("/tasks?funding_min=900&funding_max=100", 400),
        ("/tasks?funding_min=-5", 400),
        ("/tasks?result=maybe", 400),
        ("/tasks?sort=random", 400),
        ("/tasks?page=99", 404),
        ("/tasks.csv?field=astrology", 400),
        ("/tasks.csv?organisation=999999", 400),
        ("/tasks/NV-9999-999", 404),
        ("/people/999999", 404),
        ("/people/abc", 400),
        ("/organisations/999999", 404),
        ("/organisations?kind=castle", 400),
        ("/notices/calls/999999", 404),
        ("/notices/proposals?year=abc", 400),
        ("/notices/task-lists?year=2026&page=50", 404),
        ("/experts?field=astrology", 400),
        ("/experts?organisation=999999", 400),
        ("/statistics?year=3000", 400),
        ("/statistics/colour.csv", 400),
        ("/documents/999999", 404),
        ("/results?page=-1", 400),
    ],
)
def test_bad_addresses_and_parameters_get_a_clear_4xx(
    client: TestClient, province: Province, url: str, status: int
) -> None:
    soup = page(client, url, status=status)
    assert soup.find("header", class_="site-header") is not None  # in the layout
    heading = text(soup.find("h1"))
    assert heading.startswith("Không tìm thấy trang" if status == 404 else "Yêu cầu không hợp lệ")
    explained = soup.select_one(".error-detail, .error-problems")
    assert explained is not None and text(explained)
