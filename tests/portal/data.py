"""A small province for the public portal's tests, built through the model services.

Besides what must show, it plants what must never show: every private value carries a marker
listed in `Province.secrets` (council scores and reviews, votes, who sat on councils, personal
contact data, dossiers under review, a rejected proposal's content), so a test can crawl every
public page and API response and look for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.councils import Council
from models.enums import (
    AcademicTitle,
    AcceptanceLevel,
    ApplicationStatus,
    CouncilType,
    Degree,
    DocumentKind,
    Field,
    FundingSource,
    Method,
    OrganisationKind,
    Rating,
    ReviewOpinion,
    TaskKind,
    TaskMemberRole,
)
from models.people import Person
from models.services import acceptance, calls, contracts, councils, documents, people, proposals
from models.services import registration as registration_service
from models.services import tasks as tasks_service
from models.services.errors import get_or_raise
from models.tasks import Task
from tests.models import factories as f


@dataclass
class Province:
    """What the portal tests look for: codes and ids to open, and values that must not show."""

    lagoon: str = ""  # accepted, registered and published (the whole procedure)
    rice: str = ""  # directly assigned, being carried out
    road: str = ""  # in an open call
    failed: str = ""  # failed at acceptance
    listed: str = ""  # approved in the task list only
    recent_selection: str = ""  # selected now: its result is being posted
    old_selection: str = ""  # selected 90 days ago: its posting period is over
    open_call_id: int = 0
    host_id: int = 0
    public_person_id: int = 0  # a public profile that shows contact data
    quiet_person_id: int = 0  # a public profile that hides it
    hidden_person_id: int = 0  # no public profile
    council_person_id: int = 0  # sat on councils, has a public profile
    public_document_id: int = 0
    private_document_id: int = 0
    rejected_title: str = ""
    provisional: list[str] = field(default_factory=list)  # tasks of proposals not yet approved
    pending_title: str = ""
    public_contact: tuple[str, str] = ("", "")
    secrets: list[str] = field(default_factory=list)


def _held_meeting(session: Session, council_id: int) -> int:
    """A meeting of the council at which every member is present."""
    council = get_or_raise(session, Council, council_id)
    meeting = councils.schedule_meeting(
        session=session, council_id=council_id, scheduled_at=datetime(2026, 3, 2, 8, tzinfo=UTC)
    )
    for member in council.members:
        councils.record_attendance(
            session=session, meeting_id=meeting.id, member_id=member.id, present=True
        )
    assert councils.open_meeting(session=session, meeting_id=meeting.id).ok
    return meeting.id


def _approved_task(
    session: Session,
    *,
    title: str,
    field_: Field,
    code: str,
    method: Method,
    proposer_id: int,
    objectives: str,
) -> Task:
    """A proposal through screening and the advisory council's vote, approved as a task."""
    proposal = proposals.create_proposal(
        session=session,
        year=2026,
        title=title,
        field=field_,
        proposer_organisation_id=proposer_id,
        objectives=objectives,
        expected_results="Báo cáo tổng hợp, quy trình kỹ thuật và bài báo khoa học.",
        estimated_budget=800_000_000,
    )
    proposals.screen_proposal(session=session, proposal_id=proposal.id, accept=True)
    advisory = f.council(session, CouncilType.ADVISORY)
    meeting_id = _held_meeting(session, advisory.id)
    for member in advisory.members:
        councils.record_vote(
            session=session,
            meeting_id=meeting_id,
            member_id=member.id,
            proposal_id=proposal.id,
            in_favour=True,
        )
    assert councils.tally_advisory_vote(
        session=session, meeting_id=meeting_id, proposal_id=proposal.id
    )
    return proposals.approve_proposal(
        session=session, proposal_id=proposal.id, code=code, method=method
    )


def build_province(session: Session, documents_root: Path) -> Province:
    """Organisations, people, proposals and tasks at every step, with planted secrets."""
    p = Province()
    secrets = p.secrets
    huaf = people.create_organisation(
        session=session,
        name="Trường Đại học Nông Lâm, Đại học Huế",
        short_name="ĐHNL",
        kind=OrganisationKind.UNIVERSITY,
        address="102 Phùng Hưng, TP. Huế",
        email="dhnl@hueuni.edu.vn",
    )
    institute = people.create_organisation(
        session=session,
        name="Viện Tài nguyên và Môi trường, Đại học Huế",
        short_name="VTNMT",
        kind=OrganisationKind.RESEARCH_INSTITUTE,
    )
    rival = people.create_organisation(
        session=session,
        name="Công ty TNHH Tư vấn Môi trường Sông Hương",
        kind=OrganisationKind.ENTERPRISE,
    )
    p.host_id = institute.id

    dao = people.create_person(
        session=session,
        full_name="Trần Thị Đào",
        degree=Degree.DOCTOR,
        academic_title=AcademicTitle.ASSOCIATE_PROFESSOR,
        email="dao.tran@hueuni.edu.vn",
        fields=[(Field.NATURAL_SCIENCES, "Sinh thái học đầm phá")],
        organisation_id=institute.id,
        position="Phó Viện trưởng",
        is_expert=True,
    )
    dao.phone = "0234 3825 123"
    dao.contact_public = True
    dao.biography = "Nghiên cứu hệ sinh thái đầm phá Tam Giang - Cầu Hai từ năm 2005."
    p.public_person_id = dao.id
    p.public_contact = (dao.email or "", dao.phone)
    duc = people.create_person(
        session=session,
        full_name="Lê Văn Đức",
        degree=Degree.DOCTOR,
        email="duc.bimat@example.vn",
        fields=[(Field.AGRICULTURAL, "Khoa học cây trồng")],
        organisation_id=huaf.id,
        is_expert=True,
    )
    duc.phone = "0905 000 111"
    p.quiet_person_id = duc.id
    secrets += [duc.email or "", duc.phone]
    binh = people.create_person(
        session=session,
        full_name="Nguyễn Văn Bình",
        degree=Degree.MASTER,
        email="binh.kin@example.vn",
        fields=[Field.NATURAL_SCIENCES],
        organisation_id=institute.id,
        is_expert=False,
    )
    p.hidden_person_id = binh.id
    secrets.append(binh.email or "")
    rival_pi = people.create_person(
        session=session,
        full_name="Hoàng Thị Ứng Viên",
        email="ungvien@example.vn",
        organisation_id=rival.id,
        is_expert=False,
    )
    secrets.append(rival_pi.email or "")

    # -- the lagoon task, through every step ---------------------------------------------------
    lagoon = _approved_task(
        session,
        title="Bảo vệ hệ sinh thái đầm phá Tam Giang - Cầu Hai",
        field_=Field.NATURAL_SCIENCES,
        code="NV-2026-001",
        method=Method.SELECTION,
        proposer_id=institute.id,
        objectives="Đánh giá chất lượng nước và đề xuất giải pháp phục hồi thảm cỏ biển.",
    )
    p.lagoon = lagoon.code
    call = f.open_call(
        session,
        [lagoon],
        number="TB-01/2026",
        year=2026,
        opens_on=date(2026, 1, 5),
        closes_on=date(2026, 2, 5),
    )
    winner = f.application(
        session, call, lagoon, root=documents_root, org=institute, pi=dao, team=[binh]
    )
    loser = f.application(session, call, lagoon, root=documents_root, org=rival, pi=rival_pi)
    loser.requested_budget = 987_654_321
    secrets.append("987654321")
    for application in (winner, loser):
        calls.check_application_validity(session=session, application_id=application.id)
    calls.close_call(session=session, call_id=call.id)
    selection = f.council(session, CouncilType.SELECTION, task=lagoon)
    p.council_person_id = selection.members[0].person_id
    for i, member in enumerate(selection.members):
        councils.record_score_sheet(
            session=session,
            member_id=member.id,
            application_id=winner.id,
            scores={"A": 40, "B": 33.17},
        )
        councils.record_score_sheet(
            session=session,
            member_id=member.id,
            application_id=loser.id,
            scores={"A": 20, "B": 21.43},
        )
        councils.submit_review(
            session=session,
            member_id=member.id,
            opinion=ReviewOpinion.APPROVE_WITH_CHANGES,
            submitted_on=date(2026, 2, 20),
            comments=f"NHẬN XÉT MẬT {i}: thuyết minh cần bổ sung phương pháp.",
            application_id=winner.id,
        )
    secrets += ["NHẬN XÉT MẬT", "33.17", "21.43", "73.17", "41.43"]
    councils.tally_selection(session=session, council_id=selection.id)
    calls.select_application(session=session, application_id=winner.id)
    tasks_service.set_budget(
        session=session, task_id=lagoon.id, source=FundingSource.STATE_BUDGET, amount=750_000_000
    )
    tasks_service.set_budget(
        session=session, task_id=lagoon.id, source=FundingSource.COUNTERPART, amount=50_000_000
    )
    contract = contracts.create_contract(
        session=session,
        task_id=lagoon.id,
        value=750_000_000,
        starts_on=date(2026, 4, 1),
        ends_on=date(2027, 9, 30),
    )
    contracts.sign_contract(session=session, contract_id=contract.id, signed_on=date(2026, 3, 25))
    dossier = acceptance.submit_acceptance_dossier(
        session=session, task_id=lagoon.id, submitted_on=date(2027, 10, 15)
    )
    acceptance.validate_acceptance_dossier(
        session=session, dossier_id=dossier.id, valid=True, checked_on=date(2027, 10, 18)
    )
    veteran = selection.members[-1].person
    acceptance_council = f.council(
        session,
        CouncilType.ACCEPTANCE,
        task=lagoon,
        people=[f.person(session) for _ in range(8)] + [veteran],
    )
    meeting_id = _held_meeting(session, acceptance_council.id)
    for i, member in enumerate(acceptance_council.members):
        acceptance.record_acceptance_rating(
            session=session,
            member_id=member.id,
            task_id=lagoon.id,
            rating=Rating.PASS,
            comments=f"PHIẾU NGHIỆM THU MẬT {i}",
        )
    secrets.append("PHIẾU NGHIỆM THU MẬT")
    acceptance.tally_acceptance(session=session, meeting_id=meeting_id)
    acceptance.record_acceptance_decision(
        session=session,
        dossier_id=dossier.id,
        decision_number="245/QĐ-SKHCN",
        decision_on=date(2027, 11, 20),
        rating=Rating.PASS,
    )
    result = registration_service.register_result(
        session=session,
        task_id=lagoon.id,
        title="Quy trình phục hồi thảm cỏ biển đầm phá Tam Giang - Cầu Hai",
        submitted_on=date(2027, 12, 1),
    )
    for kind, name, content in (
        (DocumentKind.SUMMARY_REPORT, "bao-cao-tom-tat.pdf", b"%PDF-1.4 tom tat ket qua"),
        (DocumentKind.COUNCIL_MINUTES, "bien-ban-hoi-dong.pdf", b"BIEN BAN MAT"),
        (DocumentKind.AUTHORS_AGREEMENT, "thoa-thuan-tac-gia.pdf", b"THOA THUAN MAT"),
    ):
        stored = documents.store_file(
            session=session,
            root=documents_root,
            content=content,
            original_name=name,
            content_type="application/pdf",
        )
        doc = documents.add_dossier_document(
            session=session, stored_file_id=stored.id, kind=kind, registration_id=result.id
        )
        if kind is DocumentKind.SUMMARY_REPORT:
            p.public_document_id = doc.id
        else:
            p.private_document_id = doc.id
            secrets.append(name)
    registration_service.issue_certificate(
        session=session, registration_id=result.id, issued_on=date(2027, 12, 10)
    )
    registration_service.publish_result(
        session=session, registration_id=result.id, published_on=date(2027, 12, 15)
    )
    contracts.close_contract(
        session=session, contract_id=contract.id, liquidated_on=date(2027, 12, 30)
    )

    # -- the rice task: assigned directly, being carried out -----------------------------------
    rice = _approved_task(
        session,
        title="Sản xuất lúa hữu cơ theo chuỗi giá trị tại Quảng Điền",
        field_=Field.AGRICULTURAL,
        code="NV-2026-002",
        method=Method.DIRECT,
        proposer_id=huaf.id,
        objectives="Xây dựng mô hình lúa hữu cơ 30 ha, liên kết tiêu thụ với doanh nghiệp.",
    )
    p.rice = rice.code
    rice.host_organisation_id = huaf.id
    tasks_service.add_task_member(
        session=session,
        task_id=rice.id,
        person_id=duc.id,
        role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
    )
    tasks_service.set_budget(
        session=session, task_id=rice.id, source=FundingSource.STATE_BUDGET, amount=1_200_000_000
    )
    rice_contract = contracts.create_contract(
        session=session,
        task_id=rice.id,
        value=1_200_000_000,
        starts_on=date(2026, 6, 1),
        ends_on=date(2028, 5, 31),
    )
    contracts.sign_contract(
        session=session, contract_id=rice_contract.id, signed_on=date(2026, 5, 28)
    )

    # -- the road task: offered in an open call ------------------------------------------------
    road = _approved_task(
        session,
        title="Giám sát đường giao thông nông thôn bằng ảnh vệ tinh",
        field_=Field.ENGINEERING_TECHNOLOGY,
        code="NV-2026-003",
        method=Method.SELECTION,
        proposer_id=huaf.id,
        objectives="Phát hiện sớm hư hỏng mặt đường từ ảnh vệ tinh độ phân giải cao.",
    )
    p.road = road.code
    today = date.today()
    open_call = f.open_call(
        session,
        [road],
        number="TB-02/2026",
        year=2026,
        opens_on=today - timedelta(days=5),
        closes_on=today + timedelta(days=25),
    )
    p.open_call_id = open_call.id
    pending = f.application(session, open_call, road, root=documents_root, org=rival, pi=rival_pi)
    pending.requested_budget = 555_444_333
    secrets.append("555444333")

    # -- a task that failed at acceptance, and one still only in the list ----------------------
    failed = f.task(
        session,
        code="NV-2025-007",
        year=2025,
        title="Thử nghiệm giống sen Huế trên đất phèn",
        field=Field.AGRICULTURAL,
        host=huaf,
    )
    p.failed = failed.code
    contracts.create_contract(
        session=session,
        task_id=failed.id,
        value=400_000_000,
        starts_on=date(2025, 3, 1),
        ends_on=date(2026, 2, 28),
    )
    failed_dossier = acceptance.submit_acceptance_dossier(
        session=session,
        task_id=failed.id,
        submitted_on=date(2026, 3, 20),
        level=AcceptanceLevel.DEPARTMENT,
    )
    acceptance.record_acceptance_decision(
        session=session,
        dossier_id=failed_dossier.id,
        decision_number="12/QĐ-SKHCN",
        decision_on=date(2026, 4, 20),
        rating=Rating.FAIL,
    )
    listed = f.task(
        session,
        code="NV-2026-004",
        year=2026,
        title="Số hóa văn bản Hán Nôm ở các làng cổ ven sông Hương",
        field=Field.HUMANITIES,
        kind=TaskKind.SCHEME,
    )
    p.listed = listed.code

    # -- selection results: one being posted, one whose period is over -------------------------
    for code, days_ago in (("NV-2026-005", 0), ("NV-2025-009", 90)):
        task = f.task(
            session,
            code=code,
            year=2026,
            title=f"Ứng dụng trí tuệ nhân tạo cho dịch vụ công {code}",
            field=Field.ENGINEERING_TECHNOLOGY,
        )
        own_call = f.open_call(
            session,
            [task],
            number=f"TB-{code}",
            opens_on=today - timedelta(days=days_ago + 40),
            closes_on=today - timedelta(days=days_ago + 10),
        )
        application = f.application(session, own_call, task, root=documents_root, org=huaf, pi=duc)
        application.status = ApplicationStatus.RECOMMENDED
        calls.select_application(session=session, application_id=application.id)
        if days_ago:
            session.execute(
                update(AuditEntry)
                .where(AuditEntry.task_id == task.id, AuditEntry.action == "selection.approve")
                .values(at=datetime.now(UTC) - timedelta(days=days_ago))
            )
    p.recent_selection, p.old_selection = "NV-2026-005", "NV-2025-009"

    # -- proposals that are not (yet) tasks ----------------------------------------------------
    rejected = f.proposal(
        session,
        year=2026,
        title="Nuôi cá lồng trên phá theo hướng hữu cơ",
        proposer_organisation_id=rival.id,
        rationale="LÝ DO ĐỀ XUẤT MẬT",
        objectives="MỤC TIÊU BỊ LOẠI",
        estimated_budget=123_456_789,
    )
    proposals.screen_proposal(
        session=session, proposal_id=rejected.id, accept=False, note="GHI CHÚ SÀNG LỌC MẬT"
    )
    p.rejected_title = rejected.title
    pending_proposal = f.proposal(
        session,
        year=2026,
        title="Bản đồ số nguy cơ sạt lở đất huyện A Lưới",
        objectives="MỤC TIÊU ĐANG XÉT",
        estimated_budget=246_813_579,
    )
    p.pending_title = pending_proposal.title
    # as the workers do, each received proposal already has its (private) task
    for code, proposal in (("NV-2026-090", pending_proposal), ("NV-2026-091", rejected)):
        session.add(
            Task(
                code=code,
                year=proposal.year,
                title=proposal.title,
                field=proposal.field,
                kind=proposal.kind,
                method=Method.SELECTION,
                objectives=proposal.objectives,
                proposal_id=proposal.id,
            )
        )
        p.provisional.append(code)
        secrets.append(code)
    secrets += [
        "LÝ DO ĐỀ XUẤT MẬT",
        "MỤC TIÊU BỊ LOẠI",
        "123456789",
        "GHI CHÚ SÀNG LỌC MẬT",
        "MỤC TIÊU ĐANG XÉT",
        "246813579",
        rival_pi.full_name,  # applied, was not selected, has no public profile
        '"in_favour"',  # audit details of votes and tallies never leave the database
        '"averages"',
    ]
    # council members (factory experts with public profiles) never show their emails
    secrets += [
        person.email
        for person in session.query(Person).filter(Person.email.like("khoa%@example.vn"))
        if person.email
    ]
    session.flush()
    return p


# What a profile would say if it listed the councils a person sat on (it must not).
COUNCIL_WORDS = [
    "Hội đồng tuyển chọn",
    "Hội đồng nghiệm thu",
    "Hội đồng tư vấn",
    "Ủy viên phản biện",
]


def public_urls(p: Province) -> list[str]:
    """Every public page and API response of the province (what a crawler would read)."""
    pages = [
        "/",
        "/tasks",
        "/tasks?q=dam+pha",
        "/tasks?per_page=100&sort=title",
        *(f"/tasks/{code}" for code in (p.lagoon, p.rice, p.road, p.failed, p.listed)),
        *(f"/tasks/{code}" for code in (p.recent_selection, p.old_selection)),
        "/tasks.csv",
        "/results",
        "/notices",
        "/notices/proposals?year=2026",
        "/notices/task-lists?year=2026",
        "/notices/task-lists?year=2025",
        "/notices/calls",
        f"/notices/calls/{p.open_call_id}",
        "/notices/selection-results",
        "/notices/accepted?year=2027",
        "/experts?per_page=100",
        *(f"/people/{i}" for i in (p.public_person_id, p.quiet_person_id, p.council_person_id)),
        "/organisations?per_page=100",
        f"/organisations/{p.host_id}",
        "/statistics",
        *(f"/statistics/{d}.csv" for d in ("field", "year", "organisation", "stage", "funding")),
    ]
    api = [
        "/api/v1/tasks?per_page=100",
        "/api/v1/tasks?q=dam+pha",
        *(f"/api/v1/tasks/{code}" for code in (p.lagoon, p.rice, p.road, p.failed, p.listed)),
        "/api/v1/people?per_page=100",
        *(f"/api/v1/people/{i}" for i in (p.public_person_id, p.quiet_person_id)),
        f"/api/v1/people/{p.council_person_id}",
        "/api/v1/organisations?per_page=100",
        f"/api/v1/organisations/{p.host_id}",
        *(f"/api/v1/statistics/{d}" for d in ("field", "year", "organisation", "stage", "funding")),
        "/api/v1/calls",
        "/api/v1/selection-results",
        "/api/v1/results",
    ]
    return pages + api
