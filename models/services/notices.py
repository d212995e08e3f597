"""What the Department tells people by e-mail: a notice is composed here, sent by a worker.

Services that end in telling someone return their notices; the worker sends them after the
transaction commits (idempotency key: the job). Texts are Vietnamese first, English after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from models.proposals import Proposal
from models.tasks import Task

SIGNATURE = "Phòng Quản lý khoa học - Sở Khoa học và Công nghệ"


@dataclass(frozen=True)
class Notice:
    """One e-mail to send: recipients, subject, body, and its key within the job."""

    to: tuple[str, ...]
    subject: str
    body: str
    key: str = "notice"


def vn_date(day: date) -> str:
    """A date as Vietnamese documents write it: 26/11/2026."""
    return day.strftime("%d/%m/%Y")


def money(amount: int) -> str:
    """An amount in dong written the Vietnamese way: 1.200.000.000."""
    return f"{amount:,}".replace(",", ".")


def addresses(found: Iterable[str | None]) -> tuple[str, ...]:
    """The addresses given, in order, without blanks or repeats."""
    return tuple(dict.fromkeys(a for a in found if a))


def applicant_addresses(proposal: Proposal) -> tuple[str, ...]:
    """Where to write to the applicant: the proposing person and organisation."""
    return addresses(
        [
            proposal.proposer_person.email if proposal.proposer_person else None,
            proposal.proposer_organisation.email if proposal.proposer_organisation else None,
        ]
    )


def host_addresses(task: Task) -> tuple[str, ...]:
    """The host organisation's and the principal investigator's addresses, when known."""
    return addresses(
        [
            task.host_organisation.email if task.host_organisation else None,
            task.principal_investigator.email if task.principal_investigator else None,
        ]
    )


def host_name(task: Task) -> str:
    """How a letter names the host organisation."""
    return task.host_organisation.name if task.host_organisation else "Tổ chức chủ trì"


def to_host(task: Task, subject: str, lead: str, english: str, key: str = "host") -> Notice:
    """A letter to the host of a task: salutation, the text, the signature, an English line."""
    return Notice(
        host_addresses(task),
        f"[Sở KH&CN] {subject}",
        f"Kính gửi {host_name(task)},\n\n{lead}\n\nTrân trọng,\n{SIGNATURE}\n\n---\n{english}",
        key,
    )


def to_applicant(proposal: Proposal, subject: str, lead: str, english: str) -> Notice:
    """A letter to whoever proposed a task."""
    return Notice(
        applicant_addresses(proposal),
        f"[Sở KH&CN] {subject}",
        f"{lead}\n\nTrân trọng,\n{SIGNATURE}\n\n---\n{english}",
        "applicant",
    )


def completion_request(
    task: Task, dossier_vi: str, dossier_en: str, due_on: date, basis: str = ""
) -> Notice:
    """The letter asking the host to complete an incomplete dossier by ``due_on``."""
    return to_host(
        task,
        f"Yêu cầu bổ sung {dossier_vi} nhiệm vụ {task.code}",
        f"{dossier_vi[0].upper()}{dossier_vi[1:]} của nhiệm vụ “{task.title}” (mã {task.code}) "
        f"chưa đầy đủ. Đề nghị bổ sung và nộp lại chậm nhất ngày {vn_date(due_on)}"
        + (f" ({basis})." if basis else "."),
        f"The {dossier_en} of task {task.code} is incomplete: complete it by {due_on.isoformat()}.",
    )
