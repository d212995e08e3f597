"""Decisions with the right signer and numbering: the People's Committee (QĐ-UBND) or the
Department it delegated to (QĐ-SKHCN), as the edition or the province's settings say."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.decisions import Decision, Restriction
from models.editions import Edition
from models.enums import DecisionKind, Issuer
from models.labels import label
from models.services.audit import SYSTEM, Actor, record_audit
from models.services.errors import DomainError
from models.services.notices import vn_date
from models.tasks import Task

SUFFIX = {Issuer.PEOPLE_COMMITTEE: "QĐ-UBND", Issuer.DEPARTMENT: "QĐ-SKHCN"}
SIGNER_TITLE = {
    Issuer.PEOPLE_COMMITTEE: ("CHỦ TỊCH", "Chủ tịch Ủy ban nhân dân"),
    Issuer.DEPARTMENT: ("GIÁM ĐỐC", "Giám đốc Sở Khoa học và Công nghệ"),
}
# Decisions of the Department's own procedure whatever the delegation (suspension of a task
# it manages; the Department signs them).
DEPARTMENT_KINDS = {DecisionKind.SUSPENSION}
_NUMBER = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d{4}))?\s*(?:/\s*(QĐ-[A-ZĐ&]+))?\s*$", re.IGNORECASE)


def issuer_of(edition: Edition, kind: DecisionKind) -> Issuer:
    """Who signs a decision of this kind (NĐ 08/2014 Đ27.2: the Chairman approves lists and
    results and signs contracts unless he delegated to the Department)."""
    if kind in DEPARTMENT_KINDS:
        return Issuer.DEPARTMENT
    return Issuer(edition.signer)


def decision_number(raw: str, issuer: Issuer) -> str:
    """A decision number with the signer's suffix: "125" → "125/QĐ-UBND"; a number written
    with another signer's suffix is refused, naming both."""
    match = _NUMBER.match(raw or "")
    if not match:
        raise DomainError(
            "decision_number",
            f"Số quyết định '{raw}' không đúng dạng, ví dụ 125/{SUFFIX[issuer]}.",
            f"Decision number '{raw}' is not like 125/{SUFFIX[issuer]}.",
        )
    number, _year, suffix = match.groups()
    wanted = SUFFIX[issuer]
    if suffix and suffix.upper() != wanted:
        raise DomainError(
            "decision_signer",
            f"Quyết định này do {label(issuer).lower()} ký, số phải là …/{wanted}, không phải "
            f"{suffix.upper()}.",
            f"This decision is signed by the {label(issuer, 'en')}: …/{wanted}, not {suffix}.",
        )
    return f"{int(number)}/{wanted}"


def record_decision(
    *,
    session: Session,
    kind: DecisionKind,
    number: str,
    signed_on: date,
    edition: Edition,
    tasks: Sequence[Task],
    today: date,
    note: str = "",
    actor: Actor = SYSTEM,
) -> Decision:
    """Record a decision covering some tasks; the same number again adds tasks to it (a list
    approved as a batch), a date in the future is refused."""
    if signed_on > today:
        raise DomainError(
            "decision_date",
            f"Ngày ký quyết định {vn_date(signed_on)} chưa đến.",
            f"The decision date {signed_on.isoformat()} is in the future.",
        )
    issuer = issuer_of(edition, kind)
    full = decision_number(number, issuer)
    decision = session.scalar(
        select(Decision).where(Decision.kind == kind, Decision.number == full)
    )
    if decision is None:
        decision = Decision(kind=kind, number=full, signed_on=signed_on, issuer=issuer, note=note)
        session.add(decision)
    elif decision.signed_on != signed_on:
        raise DomainError(
            "decision_date_differs",
            f"Quyết định {full} đã ghi nhận ngày {vn_date(decision.signed_on)}.",
            f"Decision {full} was recorded as signed on {decision.signed_on.isoformat()}.",
        )
    for task in tasks:
        if task not in decision.tasks:
            decision.tasks.append(task)
    session.flush()
    for task in tasks:
        record_audit(
            session=session,
            action=f"decision.{kind.value}",
            entity_type="decision",
            entity_id=decision.id,
            actor=actor,
            task_id=task.id,
            stage=task.stage,
            details={"number": full, "signed_on": signed_on.isoformat(), "issuer": issuer.value},
        )
    return decision


def decision_of(session: Session, task: Task, kind: DecisionKind) -> Decision | None:
    """The latest decision of a kind covering a task."""
    return session.scalar(
        select(Decision)
        .where(Decision.kind == kind, Decision.tasks.any(Task.id == task.id))
        .order_by(Decision.id.desc())
    )


def restrictions_on(
    session: Session, organisation_id: int | None, person_id: int | None, on: date
) -> list[Restriction]:
    """The restrictions barring an organisation or a person from hosting tasks on a day
    (TT 20/2023 Đ4.2, Đ4.4; TT 11/2014 Đ15.4)."""
    rows = session.scalars(
        select(Restriction).where(
            (Restriction.organisation_id == organisation_id) | (Restriction.person_id == person_id),
            Restriction.lifted_on.is_(None),
        )
    )
    return [r for r in rows if r.since <= on and (r.until is None or on <= r.until)]
