"""Accent-free search on both databases: folding, đ/Đ, ranking, prefixes, the index in step."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import search
from models.enums import (
    Field,
    FundingSource,
    ProposalStatus,
    Rating,
    ResultStatus,
    TaskMemberRole,
)
from models.search import (
    PERSON_TEXT,
    TASK_TEXT,
    InvalidQuery,
    PersonSearch,
    Segment,
    TaskSearch,
    count_matching,
    fold,
    highlight,
    matching,
    page_matching,
    parse_query,
    rebuild,
    snippet,
    task_facets,
    terms,
)
from models.services import acceptance as acceptance_service
from models.services import people as people_service
from models.services import registration as registration_service
from models.services import tasks as tasks_service
from models.tasks import Task
from tests.models import factories as f


def listed(session: Session, **kw: object) -> Task:
    """A task on an approved list: only those are public, hence indexed (models/publicity.py)."""
    task = f.task(session, **kw)
    assert task.proposal is not None
    task.proposal.status = ProposalStatus.APPROVED
    session.flush()
    return task


def found(session: Session, text: str) -> list[str]:
    """Codes of the tasks a search finds, best first."""
    query = parse_query(text)
    assert query is not None
    found_ = matching(session, TASK_TEXT, query)
    assert found_ is not None
    matches = found_.subquery()
    rows = session.execute(
        select(TaskSearch.task_id, matches.c.rank)
        .join(matches, matches.c.id == TaskSearch.task_id)
        .order_by(matches.c.rank.desc())
    )
    codes = {t.id: t.code for t in session.scalars(select(Task))}
    return [codes[task_id] for task_id, _ in rows]


def index_row(session: Session, task_id: int) -> TaskSearch | None:
    """The task's index row as the database holds it now."""
    stmt = select(TaskSearch).where(TaskSearch.task_id == task_id)
    return session.scalar(stmt.execution_options(populate_existing=True))


def test_fold_strips_every_vietnamese_mark_and_d_bar() -> None:
    assert fold("Nông nghiệp") == "nong nghiep"
    assert fold("ĐẦM PHÁ Tam Giang") == "dam pha tam giang"
    assert fold("đường Trường Sơn") == "duong truong son"
    assert fold("Ứng dụng ở Huế, ưu tiên") == "ung dung o hue, uu tien"
    assert terms("NV-2027-001: Lúa (hữu cơ)") == ["nv", "2027", "001", "lua", "huu", "co"]


def test_accent_free_queries_find_accented_titles(session: Session) -> None:
    lagoon = listed(session, title="Bảo vệ hệ sinh thái đầm phá Tam Giang - Cầu Hai")
    rice = listed(session, title="Sản xuất lúa hữu cơ theo chuỗi giá trị", field=Field.AGRICULTURAL)
    road = listed(session, title="Giám sát đường giao thông nông thôn")

    assert found(session, "dam pha") == [lagoon.code]
    assert found(session, "ĐẦM PHÁ") == [lagoon.code]
    assert found(session, "Đầm") == [lagoon.code]
    assert found(session, "duong") == [road.code]
    assert found(session, "Đường") == [road.code]
    assert found(session, "lua huu co") == [rice.code]
    # every term must match a whole word
    assert found(session, "lua giam") == []
    assert found(session, "lua huu c") == []
    assert found(session, "lu huu co") == []
    assert set(found(session, "nong")) >= {road.code}
    assert found(session, "!!! ???") == []
    # a task whose proposal is still under review is private: not in the index
    f.task(session, title="Đầm phá Lăng Cô: đề xuất đang xét")
    assert found(session, "dam pha") == [lagoon.code]


def test_capital_d_with_stroke_matches_plain_d(session: Session) -> None:
    danang = listed(session, title="Liên kết vùng Đà Nẵng - Huế")
    plain = listed(session, title="Du lich Da Nang khong dau")

    assert set(found(session, "Đà Nẵng")) == {danang.code, plain.code}
    assert set(found(session, "da nang")) == {danang.code, plain.code}
    assert set(found(session, "DA")) >= {danang.code, plain.code}


def test_code_title_weigh_more_than_the_summary(session: Session) -> None:
    in_title = listed(session, title="Phục tráng giống thanh trà Huế")
    in_body = listed(
        session,
        title="Nghiên cứu cây ăn quả có múi",
        objectives="Bảo tồn nguồn gen, trong đó có thanh trà và bưởi.",
    )

    assert found(session, "thanh tra") == [in_title.code, in_body.code]
    assert found(session, in_body.code) == [in_body.code]


def test_host_leader_and_field_are_searched(session: Session) -> None:
    host = f.organisation(session, name="Trường Đại học Nông Lâm, Đại học Huế")
    leader = f.person(session, full_name="Tôn Thất Đức", org=host)
    task = listed(
        session, host=host, title="Chọn tạo giống ngô", field=Field.MEDICAL_PHARMACEUTICAL
    )
    tasks_service.add_task_member(
        session=session,
        task_id=task.id,
        person_id=leader.id,
        role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
    )

    assert task.code in found(session, "ton that duc")
    assert task.code in found(session, "nong lam")
    assert task.code in found(session, "y duoc")  # the field's label, folded


def test_the_index_follows_changes_in_the_same_transaction(session: Session) -> None:
    org = f.organisation(session, name="Viện Hải dương học")
    task = listed(session, host=org, title="Khảo sát rạn san hô")
    assert found(session, "hai duong") == [task.code]

    org.name = "Viện Tài nguyên và Môi trường biển"
    task.title = "Khảo sát cỏ biển"
    session.flush()
    assert found(session, "hai duong") == []
    assert found(session, "tai nguyen bien") == [task.code]
    assert found(session, "san ho") == []

    tasks_service.set_budget(
        session=session, task_id=task.id, source=FundingSource.STATE_BUDGET, amount=700_000_000
    )
    row = index_row(session, task.id)
    assert row is not None and row.total_budget == 700_000_000
    assert row.result is ResultStatus.NONE

    session.delete(task)
    session.flush()
    assert index_row(session, task.id) is None
    assert found(session, "co bien") == []


def test_accepted_and_registered_results_change_the_result_status(session: Session) -> None:
    # rated Đạt, the completed dossier confirmed by the chair: the acceptance is official
    task = f.accepted_task(session)
    assert index_row(session, task.id) is None  # its proposal not approved: private
    assert task.proposal is not None
    task.proposal.status = ProposalStatus.APPROVED
    session.flush()
    row = index_row(session, task.id)
    assert row is not None and row.result is ResultStatus.ACCEPTED
    registration = registration_service.register_result(
        session=session,
        task_id=task.id,
        title="Quy trình nhân giống",
        submitted_on=date(2027, 6, 1),
    )
    registration_service.issue_certificate(
        session=session, registration_id=registration.id, issued_on=date(2027, 6, 10)
    )
    row = index_row(session, task.id)
    assert row is not None and row.result is ResultStatus.REGISTERED
    registration_service.publish_results(
        session=session, task_code=task.code, today=date(2027, 6, 12)
    )
    row = index_row(session, task.id)
    assert row is not None and row.result is ResultStatus.PUBLISHED


def test_a_failed_acceptance_is_a_failed_result(session: Session) -> None:
    task = listed(session, host=f.organisation(session))
    f.under_contract(session, task, date(2025, 6, 2), date(2027, 3, 31))
    acceptance_service.file_acceptance_dossier(
        session=session, task_code=task.code, filed_on=date(2027, 4, 1)
    )
    row = index_row(session, task.id)
    assert row is not None and row.result is ResultStatus.NONE  # rated by nobody yet
    acceptance_service.store_council_verdict(session, task, Rating.FAIL, date(2027, 5, 3))
    row = index_row(session, task.id)
    assert row is not None and row.result is ResultStatus.FAILED


def test_people_search_folds_names_and_expertise(session: Session) -> None:
    org = f.organisation(session, name="Bệnh viện Trung ương Huế")
    person = people_service.create_person(
        session=session,
        full_name="Đặng Thị Hường",
        fields=[(Field.MEDICAL_PHARMACEUTICAL, "Tim mạch")],
        organisation_id=org.id,
        is_expert=True,
    )
    query = parse_query("dang huong tim mach")
    assert query is not None
    people = matching(session, PERSON_TEXT, query)
    assert people is not None
    ids = session.scalars(select(people.subquery().c.id)).all()
    assert ids == [person.id]
    key = session.get(PersonSearch, person.id)
    assert key is not None and key.name_key.startswith("huong ")


def test_rebuild_recomputes_everything(session: Session) -> None:
    task = listed(session, title="Số hóa di sản Hán Nôm")
    session.execute(TaskSearch.__table__.delete())
    assert found(session, "han nom") == []

    rebuild(session.connection())
    assert found(session, "han nom") == [task.code]


def test_queries_too_long_or_too_wordy_are_refused() -> None:
    assert parse_query("   ") is None
    with pytest.raises(InvalidQuery):
        parse_query("a" * 10_000)
    with pytest.raises(InvalidQuery):
        parse_query(" ".join(f"w{i}" for i in range(20)))
    query = parse_query("Đầm  phá đầm")
    assert query is not None and query.terms == ("dam", "pha")


def test_highlight_marks_the_accented_words_an_unaccented_query_found() -> None:
    query = parse_query("dam pha")
    segments = highlight("Hệ sinh thái đầm phá Tam Giang, giải pháp", query)

    # whole words only: "pha" marks "phá", not "pháp"
    assert [s.text for s in segments if s.match] == ["đầm", "phá"]
    assert [s.text for s in highlight("đầm đâm", parse_query("da pha")) if s.match] == []
    assert "".join(s.text for s in segments) == "Hệ sinh thái đầm phá Tam Giang, giải pháp"
    cut = snippet(" ".join(["từ"] * 50) + " đầm phá " + " ".join(["cuối"] * 50), query)
    assert cut[0] == Segment("… ") and cut[-1] == Segment(" …")
    assert [s.text for s in cut if s.match] == ["đầm", "phá"]


def test_filters_are_answered_by_the_index_and_never_by_what_people_type(
    session: Session,
) -> None:
    org = f.organisation(session)
    old = listed(session, title="Nuôi tôm trên cát", year=2024, field=Field.AGRICULTURAL, host=org)
    new = listed(session, title="Nuôi tôm trong ao", year=2025, field=Field.AGRICULTURAL)
    other = listed(session, title="Nuôi tôm hùm", year=2025, field=Field.NATURAL_SCIENCES)
    query = parse_query("nuoi tom")

    def ids(**filters: object) -> set[int]:
        found = matching(session, TASK_TEXT, query, task_facets(**filters))  # type: ignore[arg-type]
        assert found is not None
        return set(session.scalars(select(found.subquery().c.id)))

    assert ids() >= {old.id, new.id, other.id}
    assert ids(year=2025, field=Field.AGRICULTURAL) == {new.id}
    assert ids(organisation_id=org.id) == {old.id}
    assert count_matching(session, TASK_TEXT, None, task_facets(year=2024)) >= 1
    # a facet token typed in the search box finds nothing: it only matches the facets column
    typed = parse_query(task_facets(year=2025)[0])
    found = matching(session, TASK_TEXT, typed)
    assert found is not None and session.scalars(select(found.subquery().c.id)).all() == []
    # the index follows a task moving on
    old.year = 2025
    session.flush()
    assert ids(year=2025, field=Field.AGRICULTURAL) == {old.id, new.id}


def test_ranked_pages_rank_the_newest_window_then_list_the_rest(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = [listed(session, title=f"Hồ chứa nước số {i}") for i in range(5)]
    best = listed(session, title="Hồ chứa nước hồ chứa nước hồ chứa")
    oldest_best = tasks[0]
    oldest_best.title = "Hồ chứa nước, hồ chứa nước, hồ chứa nước, hồ chứa"
    session.flush()
    query = parse_query("ho chua nuoc")
    monkeypatch.setattr(search, "RANK_WINDOW", 3)

    def page(offset: int, limit: int) -> list[int]:
        found = page_matching(
            session, TASK_TEXT, query, [], ranked=True, offset=offset, limit=limit
        )
        return [i for i, _ in found]

    everything = page(0, 100)
    newest_three = {best.id, tasks[4].id, tasks[3].id}
    # the window (the 3 newest matches) is ranked: the repeated words come first
    assert everything[0] == best.id and set(everything[:3]) == newest_three
    # after the window, the older matches, newest first: the old best is last
    assert everything[3:] == [tasks[2].id, tasks[1].id, oldest_best.id]
    # pages cut anywhere give the same order
    assert page(0, 2) + page(2, 2) + page(4, 2) == everything


def test_counting_stops_at_the_limit_and_says_more_match(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.services.catalogue import TaskSort, search_tasks

    for i in range(4):
        listed(session, title=f"Quan trắc môi trường biển đợt {i}")
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)

    found = search_tasks(session=session, query=parse_query("quan trac"), per_page=1)
    assert (found.total, found.more, found.pages) == (2, True, 2)
    by_title = search_tasks(
        session=session, query=parse_query("quan trac"), sort=TaskSort.TITLE, per_page=1
    )
    assert (by_title.total, by_title.more) == (2, True)
    exact = search_tasks(session=session, query=parse_query("quan trac dot 3"))
    assert (exact.total, exact.more) == (1, False)


def test_a_task_is_indexed_once_its_proposal_is_approved(session: Session) -> None:
    from models.enums import Method

    proposal = f.proposal(session, title="Bản đồ số nguy cơ lũ quét")
    task = Task(
        code="NV-2027-777",
        year=2027,
        title=proposal.title,
        field=proposal.field,
        kind=proposal.kind,
        method=Method.SELECTION,
        proposal_id=proposal.id,
    )
    session.add(task)
    session.flush()
    assert index_row(session, task.id) is None  # received, not approved: private

    proposal.status = ProposalStatus.APPROVED
    session.flush()
    assert index_row(session, task.id) is not None
    assert found(session, "lu quet") == [task.code]
