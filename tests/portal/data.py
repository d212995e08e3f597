"""A small province for the public portal's tests, built through the model services.

Every task goes the way the procedure takes it (the services the workers and forms call):
proposal, receipt, screening, the advisory council (reviews, meeting, ballots, count), the
list decision; a call or a direct assignment, the opening of dossiers, the selection council,
ranking, budget appraisal, the approval decision, the contract; reports; the acceptance
dossier, the acceptance council and its rating, completion or failure; registration, the
certificate, the recognition decision, archive, publication, liquidation, the close.

Besides what must show, it plants what must never show: every private value carries a marker
listed in `Province.secrets` (council scores, reviews and ballots, who sat on councils,
personal contact data, dossiers under review, progress reports, a rejected proposal's
content), so a test can crawl every public page and API response and look for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.calls import Application, Call
from models.councils import Council
from models.enums import (
    AcademicTitle,
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
)
from models.people import Organisation, Person
from models.rules import scoring_sheet
from models.services import (
    acceptance,
    calls,
    closing,
    contracts,
    councils,
    documents,
    implementation,
    meetings,
    people,
    proposals,
)
from models.services import registration as registration_service
from models.services import tasks as tasks_service
from models.services.tasks import edition_of
from models.tasks import BudgetLine, Task
from tests.models import factories as f

# the ballots' scores: the winner's and the others' share of each criterion's maximum, one
# criterion off by an odd fraction so that the totals are numbers no public page would show
WINNER_SHARE, OTHERS_SHARE = 0.75, 0.4
WINNER_OFF, OTHERS_OFF = 0.83, 0.57


@dataclass
class Province:
    """What the portal tests look for: codes and ids to open, and values that must not show."""

    lagoon: str = ""  # accepted, registered and published (the whole procedure)
    lagoon_call: str = ""  # its call's number (closed)
    rice: str = ""  # directly assigned, being carried out
    road: str = ""  # in an open call
    failed: str = ""  # failed at acceptance
    listed: str = ""  # approved in the task list only
    recent_selection: str = ""  # selected now: its result is being posted
    old_selection: str = ""  # selected 90 days ago: its posting period is over
    open_call_id: int = 0
    open_call_closes_on: date = date.min
    host_id: int = 0
    failed_host_id: int = 0
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


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _on(session: Session, day: date) -> None:
    """Date the audit entries written since the last call to ``day``: the services stamp the
    moment they run, the province's history happened on its own days (the timeline shows
    them, the selection results are posted from them)."""
    mark = session.info.get("province_mark", 0)
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.id > mark)
        .values(at=datetime.combine(day, time(2), UTC))  # 09:00 in Huế
        .execution_options(synchronize_session=False)
    )
    session.info["province_mark"] = session.scalar(select(func.max(AuditEntry.id))) or mark


def _council(session: Session, task: Task, kind: CouncilType, today: date) -> Council:
    """A council proposed by the system and established by staff's decision ``today``."""
    council = councils.propose_council(session=session, task_id=task.id, kind=kind, today=today)
    council = f.confirm(session, council, task, today=today)
    _on(session, today)
    return council


def _met(session: Session, council: Council) -> None:
    """Date what happened at the council's meeting (reviews just before) to its day."""
    _on(session, meetings.meeting_day(meetings.latest_meeting(council)))


def _meet(session: Session, council: Council, task: Task, today: date, comment: str) -> None:
    """Every member files the written review of each item ``today``, then the meeting is held
    with everyone present."""
    for i, member in enumerate(council.members):
        for item in meetings.items_of(council, task.id):
            meetings.record_review(
                session=session,
                council_id=council.id,
                member_id=member.id,
                task_id=task.id,
                application_id=item.application_id,
                opinion=ReviewOpinion.APPROVE_WITH_CHANGES,
                submitted_on=today,
                comments=f"{comment} {i}: cần bổ sung phương pháp.",
            )
    assert f.hold(session, council, task).ok


def _ballot(
    session: Session,
    council: Council,
    task: Task,
    values: dict[str, object],
    application_id: int | None = None,
) -> None:
    """Every member present casts the same ballot."""
    for member in council.members:
        meetings.record_ballot(
            session=session,
            council_id=council.id,
            member_id=member.id,
            task_id=task.id,
            values=values,
            now=datetime.now(UTC),
            application_id=application_id,
        )


def _listed(
    session: Session,
    secrets: list[str],
    *,
    title: str,
    field_: Field,
    year: int,
    proposer: Organisation,
    person: Person | None,
    objectives: str,
    method: Method,
    submitted_on: date,
    decision: str,
    kind: TaskKind = TaskKind.RESEARCH_TOPIC,
) -> Task:
    """Step 1: a proposal received, screened in, recommended by the advisory council and
    approved in the list by ``decision`` a month after it was submitted, then published."""
    proposal = proposals.create_proposal(
        session=session,
        year=year,
        title=title,
        field=field_,
        kind=kind,
        proposer_organisation_id=proposer.id,
        proposer_person_id=person.id if person else None,
        objectives=objectives,
        expected_results="Báo cáo tổng hợp, quy trình kỹ thuật và bài báo khoa học.",
        estimated_budget=900_000_000,
        submitted_at=_at(submitted_on),
    )
    task = proposals.register_proposal(
        session=session, proposal_id=proposal.id, today=submitted_on
    ).task
    proposals.screen_proposal(
        session=session, task_code=task.code, result="passed", now=_at(submitted_on, 15)
    )
    _on(session, submitted_on)
    council_on = submitted_on + timedelta(days=7)
    advisory = _council(session, task, CouncilType.ADVISORY, council_on)
    _meet(session, advisory, task, council_on, "Ý KIẾN TƯ VẤN MẬT")
    _ballot(session, advisory, task, {"vote": "approve"})
    counted = meetings.count_ballots(
        session=session, council_id=advisory.id, task_id=task.id, today=council_on
    )
    assert counted.recommended
    _met(session, advisory)
    decided_on = submitted_on + timedelta(days=30)
    proposals.approve_task_list(
        session=session,
        task_code=task.code,
        approved=True,
        method=method,
        decision_number=decision,
        decision_date=decided_on,
        today=decided_on,
    )
    proposals.publish_list_entry(session=session, task_code=task.code, now=_at(decided_on, 16))
    _on(session, decided_on)
    secrets.append("Ý KIẾN TƯ VẤN MẬT")
    return task


@dataclass
class Applicant:
    """Who applies for a task, with what team and budget."""

    organisation: Organisation
    investigator: Person
    team: Sequence[Person] = ()
    budget: int = 900_000_000


def _apply(
    session: Session, root: Path, call: Call, task: Task, who: Applicant, on: date
) -> Application:
    """An application with its whole dossier (TT 20/2023 Đ5)."""
    application = calls.submit_application(
        session=session,
        call_id=call.id,
        task_id=task.id,
        organisation_id=who.organisation.id,
        principal_investigator_id=who.investigator.id,
        team_person_ids=[p.id for p in who.team],
        requested_budget=who.budget,
        submitted_at=_at(on),
    )
    for kind in (
        DocumentKind.APPLICATION_FORM,
        DocumentKind.PROPOSAL_RESEARCH,
        DocumentKind.ORGANISATION_PROFILE,
        DocumentKind.CURRICULUM_VITAE,
    ):
        stored = documents.store_file(
            session=session,
            root=root,
            content=f"{kind.value} #{application.id}".encode(),
            original_name=f"ho-so-{application.id}-{kind.value}.pdf",
            content_type="application/pdf",
        )
        documents.add_dossier_document(
            session=session, stored_file_id=stored.id, kind=kind, application_id=application.id
        )
    return application


def _scores(task: Task, share: float, off: float) -> dict[str, float]:
    """A ballot giving ``share`` of each criterion's maximum, the first less ``off``."""
    sheet = scoring_sheet(task.kind, task.field, edition_of(task).selection)
    scores = {code: round(top * share, 2) for code, top in sheet.maxima().items()}
    first = next(iter(scores))
    scores[first] = round(scores[first] - off, 2)
    return scores


def _selected(
    session: Session,
    root: Path,
    secrets: list[str],
    task: Task,
    *,
    applicants: Sequence[Applicant],
    opens_on: date,
    decided_on: date,
    approved_budget: int,
    decision: str,
) -> Application:
    """Step 2 up to the approval decision: the call (or the direct invitation), the dossiers
    opened, the council's scores (the first applicant's best), the ranking, the budget
    appraisal, the decision approving the first applicant as host."""
    if task.method is Method.DIRECT:
        (who,) = applicants
        invitation = calls.invite_direct_assignment(
            session=session, task_code=task.code, today=opens_on, requested_budget=who.budget
        )
        call, filed = invitation.call, [invitation.application]
    else:
        call = calls.publish_call(session=session, task_code=task.code, today=opens_on)
        filed = [
            _apply(session, root, call, task, who, opens_on + timedelta(days=5 + i))
            for i, who in enumerate(applicants)
        ]
    _on(session, opens_on)
    opened_on = call.closes_on + timedelta(days=1)
    calls.open_applications(
        session=session, task_code=task.code, call_id=call.id, valid_ids=[a.id for a in filed]
    )
    _on(session, opened_on)
    appraised_on = decided_on - timedelta(days=14)
    council_on = appraised_on - timedelta(days=21)
    assert opened_on < council_on, (task.title, opened_on, council_on)
    council = _council(session, task, CouncilType.SELECTION, council_on)
    _meet(session, council, task, council_on, "NHẬN XÉT MẬT")
    for i, application in enumerate(filed):
        share, off = (WINNER_SHARE, WINNER_OFF) if i == 0 else (OTHERS_SHARE, OTHERS_OFF)
        scores = _scores(task, share, off)
        _ballot(session, council, task, {"scores": scores}, application.id)
        odd = scores[next(iter(scores))]
        secrets += [f"{odd:.2f}", f"{sum(scores.values()):.2f}", str(applicants[i].budget)]
    meetings.count_ballots(
        session=session, council_id=council.id, task_id=task.id, today=council_on
    )
    verdicts = {a.id: a.status is ApplicationStatus.RECOMMENDED for a in filed}
    ranked = calls.rank_candidates(
        session=session, task_code=task.code, verdicts=verdicts, today=council_on
    )
    assert ranked.ranking.winner == filed[0].id
    _met(session, council)
    team = _council(session, task, CouncilType.APPRAISAL, appraised_on)
    meetings.record_budget_appraisal(
        session=session,
        council_id=team.id,
        task_id=task.id,
        application_id=filed[0].id,
        present_member_ids=[m.id for m in team.members],
        approved_budget=approved_budget,
    )
    _met(session, team)
    approved = calls.approve_selection(
        session=session,
        task_code=task.code,
        application_id=filed[0].id,
        decision_number=decision,
        decision_date=decided_on,
        today=decided_on,
    )
    _on(session, decided_on)
    return approved


def _under_way(session: Session, task: Task, starts_on: date, ends_on: date) -> int:
    """The contract for the appraised budget, signed a few days before it starts; the reports
    planned. Its id."""
    value = session.scalar(
        select(BudgetLine.amount).where(
            BudgetLine.task_id == task.id, BudgetLine.source == FundingSource.STATE_BUDGET
        )
    )
    assert value is not None
    contract = contracts.create_contract(
        session=session, task_id=task.id, value=value, starts_on=starts_on, ends_on=ends_on
    )
    contracts.sign_contract(
        session=session, contract_id=contract.id, signed_on=starts_on - timedelta(days=7)
    )
    implementation.plan_implementation(session=session, contract_id=contract.id)
    _on(session, starts_on - timedelta(days=7))
    return contract.id


def _rated(
    session: Session, task: Task, *, filed_on: date, failing: int, secrets: list[str]
) -> Rating:
    """Step 4: the acceptance dossier filed and found complete, the council established,
    meeting and rating (``failing`` members rate Không đạt, the others Đạt), its result
    recorded."""
    acceptance.file_acceptance_dossier(session=session, task_code=task.code, filed_on=filed_on)
    _on(session, filed_on)
    checked_on = filed_on + timedelta(days=3)
    acceptance.check_acceptance_dossier(
        session=session, task_code=task.code, valid=True, checked_on=checked_on
    )
    _on(session, checked_on)
    council_on = checked_on + timedelta(days=7)
    council = _council(session, task, CouncilType.ACCEPTANCE, council_on)
    _meet(session, council, task, council_on, "NHẬN XÉT NGHIỆM THU MẬT")
    for i, member in enumerate(council.members):
        meetings.record_ballot(
            session=session,
            council_id=council.id,
            member_id=member.id,
            task_id=task.id,
            values={
                "rating": (Rating.FAIL if i < failing else Rating.PASS).value,
                "comment": f"PHIẾU NGHIỆM THU MẬT {i}",
            },
            now=datetime.now(UTC),
        )
    rated_on = meetings.meeting_day(meetings.latest_meeting(council))
    counted = meetings.count_ballots(
        session=session, council_id=council.id, task_id=task.id, today=rated_on
    )
    assert counted.verdict is not None
    acceptance.record_acceptance_result(
        session=session, task_code=task.code, table_rating=counted.verdict.value, rated_on=rated_on
    )
    _on(session, rated_on)
    secrets += ["NHẬN XÉT NGHIỆM THU MẬT", "PHIẾU NGHIỆM THU MẬT"]
    return counted.verdict


def _pool(session: Session, name: str, kind: OrganisationKind, fields: dict[Field, int]) -> None:
    """Experts who sit on councils (a council_member user each), of one organisation."""
    org = people.create_organisation(session=session, name=name, kind=kind)
    for field_, count in fields.items():
        f.experts(session, count, field_, org=org)


def build_province(session: Session, documents_root: Path) -> Province:
    """Organisations, people, proposals and tasks at every step, with planted secrets."""
    p = Province()
    secrets = p.secrets
    today = date.today()
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
    seeds = people.create_organisation(
        session=session,
        name="Trung tâm Giống cây trồng Thừa Thiên",
        kind=OrganisationKind.OTHER,
    )
    p.host_id, p.failed_host_id = institute.id, seeds.id
    # who sits on the councils: experts of each field, the ordering side of the acceptance
    # councils, and the Department's officials of the budget appraisal teams
    _pool(
        session,
        "Viện Khoa học và Công nghệ miền Trung",
        OrganisationKind.RESEARCH_INSTITUTE,
        {Field.NATURAL_SCIENCES: 10, Field.AGRICULTURAL: 10},
    )
    _pool(
        session,
        "Trường Đại học Khoa học, Đại học Huế",
        OrganisationKind.UNIVERSITY,
        {Field.ENGINEERING_TECHNOLOGY: 10, Field.HUMANITIES: 8},
    )
    _pool(
        session,
        "Sở Nông nghiệp và Môi trường thành phố Huế",
        OrganisationKind.GOVERNMENT_AGENCY,
        {Field.NATURAL_SCIENCES: 3, Field.AGRICULTURAL: 3},
    )
    f.officials(session)

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
    sen = people.create_person(
        session=session,
        full_name="Phan Thị Sen",
        degree=Degree.MASTER,
        email="sen.phan@example.vn",
        organisation_id=seeds.id,
        is_expert=False,
    )
    secrets.append(sen.email or "")

    # -- the lagoon task, through every step ---------------------------------------------------
    lagoon = _listed(
        session,
        secrets,
        title="Bảo vệ hệ sinh thái đầm phá Tam Giang - Cầu Hai",
        field_=Field.NATURAL_SCIENCES,
        year=2026,
        proposer=institute,
        person=dao,
        objectives="Đánh giá chất lượng nước và đề xuất giải pháp phục hồi thảm cỏ biển.",
        method=Method.SELECTION,
        submitted_on=date(2025, 11, 3),
        decision="12/QĐ-UBND",
    )
    p.lagoon = lagoon.code
    _selected(
        session,
        documents_root,
        secrets,
        lagoon,
        applicants=[
            Applicant(institute, dao, [binh], budget=812_345_678),
            Applicant(rival, rival_pi, budget=987_654_321),
        ],
        opens_on=date(2025, 12, 8),
        decided_on=date(2026, 2, 15),
        approved_budget=750_000_000,
        decision="56/QĐ-UBND",
    )
    p.lagoon_call = calls.calls_of(session, lagoon)[0].number
    tasks_service.set_budget(
        session=session, task_id=lagoon.id, source=FundingSource.COUNTERPART, amount=50_000_000
    )
    contract_id = _under_way(session, lagoon, date(2026, 4, 1), date(2027, 9, 30))
    implementation.record_progress_report(
        session=session,
        task_code=lagoon.code,
        progress_percent=37.5,
        summary="BÁO CÁO TIẾN ĐỘ MẬT: đã khảo sát 12 điểm quan trắc.",
        now=_at(date(2026, 10, 1)),
        today=date(2026, 10, 1),
    )
    _on(session, date(2026, 10, 1))
    secrets.append("BÁO CÁO TIẾN ĐỘ MẬT")
    assert _rated(session, lagoon, filed_on=date(2027, 10, 15), failing=0, secrets=secrets) in (
        Rating.PASS,
        Rating.EXCELLENT,
    )
    acceptance.confirm_completion(
        session=session, task_code=lagoon.code, completed=True, today=date(2027, 11, 20)
    )
    registration_service.start_registration(session=session, task_code=lagoon.code)
    _on(session, date(2027, 11, 20))
    result = registration_service.register_result(
        session=session,
        task_id=lagoon.id,
        title="Quy trình phục hồi thảm cỏ biển đầm phá Tam Giang - Cầu Hai",
        submitted_on=date(2027, 12, 1),
    )
    registration_service.check_registration(
        session=session, task_code=lagoon.code, valid=True, checked_on=date(2027, 12, 3)
    )
    _on(session, date(2027, 12, 3))
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
    _on(session, date(2027, 12, 10))
    acceptance.record_recognition_decision(
        session=session,
        task_code=lagoon.code,
        decision_number="245",
        decision_date=date(2027, 12, 12),
        today=date(2027, 12, 12),
    )
    registration_service.archive_results(
        session=session, task_code=lagoon.code, root=documents_root
    )
    _on(session, date(2027, 12, 12))
    registration_service.publish_results(
        session=session, task_code=lagoon.code, today=date(2027, 12, 15)
    )
    _on(session, date(2027, 12, 15))
    contracts.close_contract(
        session=session, contract_id=contract_id, liquidated_on=date(2027, 12, 30)
    )
    closing.close_task(
        session=session, outcome="completed", task_code=lagoon.code, today=date(2027, 12, 30)
    )
    _on(session, date(2027, 12, 30))

    # -- the rice task: assigned directly, being carried out -----------------------------------
    rice = _listed(
        session,
        secrets,
        title="Sản xuất lúa hữu cơ theo chuỗi giá trị tại Quảng Điền",
        field_=Field.AGRICULTURAL,
        year=2026,
        proposer=huaf,
        person=duc,
        objectives="Xây dựng mô hình lúa hữu cơ 30 ha, liên kết tiêu thụ với doanh nghiệp.",
        method=Method.DIRECT,
        submitted_on=date(2025, 11, 10),
        decision="13/QĐ-UBND",
    )
    p.rice = rice.code
    _selected(
        session,
        documents_root,
        secrets,
        rice,
        applicants=[Applicant(huaf, duc, budget=1_250_000_000)],
        opens_on=date(2026, 1, 5),
        decided_on=date(2026, 3, 20),
        approved_budget=1_200_000_000,
        decision="57/QĐ-UBND",
    )
    _under_way(session, rice, date(2026, 6, 1), date(2028, 5, 31))

    # -- the road task: offered in an open call ------------------------------------------------
    road = _listed(
        session,
        secrets,
        title="Giám sát đường giao thông nông thôn bằng ảnh vệ tinh",
        field_=Field.ENGINEERING_TECHNOLOGY,
        year=2026,
        proposer=huaf,
        person=None,
        objectives="Phát hiện sớm hư hỏng mặt đường từ ảnh vệ tinh độ phân giải cao.",
        method=Method.SELECTION,
        submitted_on=today - timedelta(days=60),
        decision="14/QĐ-UBND",
    )
    p.road = road.code
    open_call = calls.publish_call(session=session, task_code=road.code, today=today)
    _on(session, today)
    p.open_call_id, p.open_call_closes_on = open_call.id, open_call.closes_on
    _apply(
        session,
        documents_root,
        open_call,
        road,
        Applicant(rival, rival_pi, budget=555_444_333),
        today,
    )
    secrets.append("555444333")

    # -- a task that failed at acceptance, and one still only in the list ----------------------
    failed = _listed(
        session,
        secrets,
        title="Thử nghiệm giống sen Huế trên đất phèn",
        field_=Field.AGRICULTURAL,
        year=2025,
        proposer=seeds,
        person=sen,
        objectives="Chọn giống sen chịu phèn cho vùng trũng Phong Điền.",
        method=Method.SELECTION,
        submitted_on=date(2024, 9, 2),
        decision="70/QĐ-UBND",
    )
    p.failed = failed.code
    _selected(
        session,
        documents_root,
        secrets,
        failed,
        applicants=[Applicant(seeds, sen, budget=450_000_000)],
        opens_on=date(2024, 10, 14),
        decided_on=date(2024, 12, 30),
        approved_budget=400_000_000,
        decision="90/QĐ-UBND",
    )
    _under_way(session, failed, date(2025, 3, 1), date(2026, 2, 28))
    assert _rated(session, failed, filed_on=date(2026, 3, 20), failing=5, secrets=secrets) is (
        Rating.FAIL
    )
    acceptance.settle_failed_task(
        session=session,
        task_code=failed.code,
        refund_amount=150_000_000,
        work_done="Đã trồng thử 2 giống trên 0,5 ha.",
        today=date(2026, 4, 20),
    )
    closing.close_task(
        session=session, outcome="failed", task_code=failed.code, today=date(2026, 4, 20)
    )
    _on(session, date(2026, 4, 20))
    listed = _listed(
        session,
        secrets,
        title="Số hóa văn bản Hán Nôm ở các làng cổ ven sông Hương",
        field_=Field.HUMANITIES,
        kind=TaskKind.SCHEME,
        year=2026,
        proposer=huaf,
        person=None,
        objectives="Lập kho dữ liệu số các văn bản Hán Nôm còn lưu giữ.",
        method=Method.SELECTION,
        submitted_on=date(2025, 12, 1),
        decision="15/QĐ-UBND",
    )
    p.listed = listed.code

    # -- selection results: one being posted, one whose period is over -------------------------
    selections = []
    for days_ago, decision in ((0, "16"), (90, "17")):
        task = _listed(
            session,
            secrets,
            title=f"Ứng dụng trí tuệ nhân tạo cho dịch vụ công, đợt {decision}",
            field_=Field.ENGINEERING_TECHNOLOGY,
            year=2026,
            proposer=huaf,
            person=duc,
            objectives="Trợ lý ảo trả lời người dân về thủ tục hành chính.",
            method=Method.SELECTION,
            submitted_on=today - timedelta(days=days_ago + 130),
            decision=f"{decision}/QĐ-UBND",
        )
        _selected(
            session,
            documents_root,
            secrets,
            task,
            applicants=[Applicant(huaf, duc, budget=650_000_000)],
            opens_on=today - timedelta(days=days_ago + 80),
            decided_on=today - timedelta(days=days_ago),
            approved_budget=600_000_000,
            decision=f"{decision}1/QĐ-UBND",
        )
        selections.append(task.code)
    p.recent_selection, p.old_selection = selections

    # -- proposals that are not (yet) tasks ----------------------------------------------------
    rejected = proposals.create_proposal(
        session=session,
        year=2026,
        title="Nuôi cá lồng trên phá theo hướng hữu cơ",
        field=Field.AGRICULTURAL,
        proposer_organisation_id=rival.id,
        proposer_person_id=rival_pi.id,
        rationale="LÝ DO ĐỀ XUẤT MẬT",
        objectives="MỤC TIÊU BỊ LOẠI",
        estimated_budget=123_456_789,
    )
    pending = proposals.create_proposal(
        session=session,
        year=2026,
        title="Bản đồ số nguy cơ sạt lở đất huyện A Lưới",
        field=Field.NATURAL_SCIENCES,
        proposer_organisation_id=rival.id,
        proposer_person_id=rival_pi.id,
        objectives="MỤC TIÊU ĐANG XÉT",
        estimated_budget=246_813_579,
    )
    # as the workers do, each received proposal gets its (private) task at once
    for proposal in (pending, rejected):
        registered = proposals.register_proposal(
            session=session, proposal_id=proposal.id, today=today
        )
        p.provisional.append(registered.task.code)
        secrets.append(registered.task.code)
    rejected_code = p.provisional[1]
    proposals.screen_proposal(
        session=session, task_code=rejected_code, result="rejected", note="GHI CHÚ SÀNG LỌC MẬT"
    )
    closing.close_task(
        session=session,
        outcome="rejected",
        task_code=rejected_code,
        screening_result="rejected",
        today=today,
    )
    _on(session, today)
    p.rejected_title, p.pending_title = rejected.title, pending.title
    p.council_person_id = _a_selection_council_member(session, lagoon)
    secrets += [
        "LÝ DO ĐỀ XUẤT MẬT",
        "MỤC TIÊU BỊ LOẠI",
        "123456789",
        "GHI CHÚ SÀNG LỌC MẬT",
        "MỤC TIÊU ĐANG XÉT",
        "246813579",
        rival_pi.full_name,  # applied, was not selected, has no public profile
        # audit details of ballots, counts and rankings never leave the database
        '"in_favour"',
        '"averages"',
        '"ratings"',
    ]
    # council members (factory experts with public profiles) never show their emails
    secrets += [
        person.email
        for person in session.query(Person).filter(Person.email.like("khoa%@example.vn"))
        if person.email
    ]
    session.flush()
    return p


def _a_selection_council_member(session: Session, task: Task) -> int:
    """A person who sat on the task's selection council (their profile is public)."""
    council = councils.selection_council_of(session, task)
    return council.members[0].person_id


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
