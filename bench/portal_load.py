"""The public portal under load: 100,000 generated tasks, search latency, pages per second.

    .venv/bin/python bench/portal_load.py                      # SQLite file under var/bench/
    .venv/bin/python bench/portal_load.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/portal_load.py --tasks 20000 --seconds 10 --workers 2

1. A fresh database (a new SQLite file, or a new database on the PostgreSQL server named by
   `--database`) is migrated, then filled by a bulk generator (not the demo seeder, which drives
   the engine): organisations, scientists, proposals and tasks spread over 2006-2027 at every
   step, with their teams, budgets, contracts, acceptance decisions, registered results and the
   audit entries the public timeline shows. Rows go in with executemany; the search index is
   then rebuilt once (`models.search.rebuild`), as after any bulk load.
2. The portal runs as `khcn portal` builds it (khcn.portal_server.build_portal), under uvicorn
   in its own processes (`--workers`, default: the number of CPUs), access log off.
3. Search latency: a fixed mix of queries (common words, rare words, accent-free, with filters)
   is sent to /api/v1/tasks one at a time, `--rounds` times over; p50/p95/p99 per kind.
4. Throughput: 50 concurrent keep-alive clients (`--clients`) ask for task pages (random
   codes), then for search pages (the mix), for `--seconds` each: requests per second and
   latency percentiles. The clients are a small asyncio HTTP/1.1 loop in this process, so they
   share the machine with the server, as a real load generator on the same box would.

Figures are printed and written to var/bench/portal_load-<database>.json; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, Table, text  # noqa: E402

from khcn import seed_data as vocab  # noqa: E402
from models import search, timeline  # noqa: E402
from models.acceptance import AcceptanceDossier  # noqa: E402
from models.audit import AuditEntry  # noqa: E402
from models.contracts import Contract  # noqa: E402
from models.db import make_engine, normalise_url  # noqa: E402
from models.enums import (  # noqa: E402
    AcceptanceLevel,
    ContractStatus,
    DossierStatus,
    Field,
    FundingSource,
    Method,
    ProposalStatus,
    Rating,
    Stage,
    TaskKind,
    TaskMemberRole,
    TaskStatus,
)
from models.migrate import upgrade  # noqa: E402
from models.people import Affiliation, Expertise, Organisation, Person  # noqa: E402
from models.proposals import Proposal  # noqa: E402
from models.registration import ResultRegistration  # noqa: E402
from models.tasks import BudgetLine, Task, TaskMember  # noqa: E402

# --- what the generated province talks about -------------------------------------------------

ACTIONS = [
    "Nghiên cứu",
    "Ứng dụng",
    "Xây dựng mô hình",
    "Đánh giá",
    "Phát triển",
    "Hoàn thiện quy trình",
    "Điều tra, khảo sát",
    "Thiết kế, chế tạo",
    "Chuyển giao công nghệ",
    "Bảo tồn và phát huy",
]
SUBJECTS: dict[Field, list[str]] = {
    Field.NATURAL_SCIENCES: [
        "chất lượng nước mặt",
        "đa dạng sinh học rừng ngập mặn",
        "hệ sinh thái đầm phá",
        "vật liệu nano xử lý kim loại nặng",
        "nguy cơ sạt lở đất",
        "thành phần hóa học dược liệu",
        "biến động đường bờ biển",
        "quần xã thực vật phù du",
    ],
    Field.ENGINEERING_TECHNOLOGY: [
        "hệ thống giám sát ngập lụt",
        "điện mặt trời áp mái",
        "nền tảng dữ liệu số",
        "trí tuệ nhân tạo hỗ trợ dịch vụ công",
        "máy sấy nông sản",
        "giám sát đường giao thông",
        "cấp nước sạch nông thôn",
        "vật liệu xây dựng không nung",
    ],
    Field.MEDICAL_PHARMACEUTICAL: [
        "chẩn đoán sớm ung thư gan",
        "chăm sóc sức khỏe người cao tuổi",
        "kháng kháng sinh của vi khuẩn",
        "phẫu thuật nội soi tuyến giáp",
        "sản phẩm hỗ trợ điều trị tiểu đường",
        "y học cổ truyền",
        "dinh dưỡng trẻ em",
        "tầm soát bệnh tim mạch",
    ],
    Field.AGRICULTURAL: [
        "sản xuất lúa hữu cơ",
        "giống thanh trà Huế",
        "nuôi tôm thẻ chân trắng",
        "giống sen Huế",
        "chế phẩm sinh học xử lý chất thải chăn nuôi",
        "rau an toàn theo VietGAP",
        "trồng rừng gỗ lớn",
        "phòng trừ sâu bệnh hại cây trồng",
    ],
    Field.SOCIAL_SCIENCES: [
        "du lịch cộng đồng",
        "chuyển đổi số doanh nghiệp nhỏ và vừa",
        "năng lực cạnh tranh cấp tỉnh",
        "nguồn nhân lực chất lượng cao",
        "sinh kế bền vững",
        "cải cách hành chính",
        "kinh tế tập thể",
        "giáo dục nghề nghiệp",
    ],
    Field.HUMANITIES: [
        "văn bản Hán Nôm",
        "âm nhạc cung đình Huế",
        "nghề truyền thống nón lá",
        "hệ thống lăng mộ các chúa Nguyễn",
        "văn hóa ẩm thực cung đình",
        "lễ hội truyền thống",
        "kiến trúc nhà rường",
        "di sản văn hóa phi vật thể",
    ],
}
# Words few tasks use (the "rare" queries look for them).
RARE = ["san hô", "rong câu", "cá kình", "trầm hương", "tràm gió", "chuồn chuồn kim"]
PLACES = [
    "tại huyện Phong Điền",
    "ở vùng đầm phá Tam Giang - Cầu Hai",
    "trên địa bàn thành phố Huế",
    "khu vực miền núi A Lưới",
    "tại thị xã Hương Thủy",
    "tại huyện Quảng Điền",
    "tại huyện Phú Lộc",
    "ở khu kinh tế Chân Mây - Lăng Cô",
    "tại thị xã Hương Trà",
    "vùng ven biển Phú Vang",
]
PURPOSES = [
    "phục vụ phát triển kinh tế - xã hội",
    "theo hướng bền vững",
    "ứng phó với biến đổi khí hậu",
    "giai đoạn 2025-2030",
    "nâng cao giá trị gia tăng",
    "góp phần bảo vệ môi trường",
]
GOALS = [
    "Đánh giá thực trạng {s} {p}.",
    "Đề xuất giải pháp khoa học và công nghệ để {a} {s}.",
    "Xây dựng quy trình kỹ thuật và chuyển giao cho địa phương.",
    "Đào tạo cán bộ kỹ thuật và nông dân nòng cốt tham gia mô hình.",
    "Phân tích hiệu quả kinh tế, xã hội và môi trường của mô hình.",
    "Công bố kết quả trên tạp chí khoa học trong nước và quốc tế.",
]
OUTPUTS = [
    "Báo cáo tổng hợp kết quả nghiên cứu.",
    "Quy trình kỹ thuật được Hội đồng khoa học cơ sở thông qua.",
    "Mô hình trình diễn quy mô {n} ha.",
    "Hai bài báo khoa học, trong đó một bài trên tạp chí quốc tế.",
    "Cơ sở dữ liệu và bản đồ số.",
    "Đào tạo một thạc sĩ.",
]
TODAY = date(2026, 12, 1)


def weighted(rng: random.Random, pairs: list[tuple[Any, float]]) -> Any:
    """One value of (value, weight) pairs."""
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def stage_for(rng: random.Random, year: int) -> tuple[Stage, TaskStatus]:
    """Where a task of `year` plausibly stands at the end of 2026, as the services leave it."""
    S, T = Stage, TaskStatus
    age = 2026 - year
    if age >= 3:
        return weighted(
            rng,
            [
                ((S.REGISTRATION, T.CLOSED), 86),
                ((S.REGISTRATION, T.REGISTERED), 4),
                ((S.ACCEPTANCE, T.FAILED), 4),  # rated Không đạt
                ((S.IMPLEMENTATION, T.FAILED), 1),  # no acceptance dossier within 6 months
                ((S.IMPLEMENTATION, T.TERMINATED), 3),
                ((S.SELECTION, T.CANCELLED), 2),  # no host found
            ],
        )
    if age == 2:
        return weighted(
            rng,
            [
                ((S.REGISTRATION, T.CLOSED), 40),
                ((S.REGISTRATION, T.REGISTERED), 10),
                ((S.REGISTRATION, T.ACCEPTED), 10),
                ((S.ACCEPTANCE, T.ACCEPTED), 5),
                ((S.ACCEPTANCE, T.UNDER_ACCEPTANCE), 25),
                ((S.IMPLEMENTATION, T.IN_PROGRESS), 10),
            ],
        )
    if age == 1:
        return weighted(
            rng,
            [
                ((S.IMPLEMENTATION, T.IN_PROGRESS), 68),
                ((S.IMPLEMENTATION, T.SUSPENDED), 2),
                ((S.ACCEPTANCE, T.UNDER_ACCEPTANCE), 20),
                ((S.SELECTION, T.SELECTING), 10),
            ],
        )
    if age == 0:
        return weighted(
            rng,
            [
                ((S.IMPLEMENTATION, T.IN_PROGRESS), 50),
                ((S.SELECTION, T.SELECTING), 40),
                ((S.TASK_LIST, T.APPROVED), 10),
            ],
        )
    return weighted(rng, [((S.TASK_LIST, T.APPROVED), 60), ((S.SELECTION, T.SELECTING), 40)])


class Generator:
    """Rows of a believable province with `tasks` tasks, produced batch by batch."""

    def __init__(self, tasks: int, people: int, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.tasks = tasks
        self.people = people
        self.org_fields: dict[int, tuple[Field, ...]] = {}
        self.people_by_org_field: dict[tuple[int, Field], list[int]] = {}
        self.people_by_field: dict[Field, list[int]] = {f: [] for f in Field}
        self.names: dict[int, str] = {}
        self.audit_id = 0
        # the public tasks' codes (the task pages asked for)
        self.codes: list[str] = []
        self.sequence: dict[int, int] = {}
        self.numbers: dict[tuple[str, int], int] = {}
        # audit entries written, by action
        self.written: dict[str, int] = {}

    # reference data --------------------------------------------------------------------------

    def organisations(self) -> list[dict[str, Any]]:
        rows = []
        for i, (name, short, kind, fields, address) in enumerate(vocab.ORGANISATIONS, start=1):
            rows.append(
                {"id": i, "name": name, "short_name": short, "kind": kind, "address": address}
            )
            self.org_fields[i] = fields
        kinds = [
            ("Công ty TNHH", vocab.K.ENTERPRISE),
            ("Công ty Cổ phần", vocab.K.ENTERPRISE),
            ("Hợp tác xã", vocab.K.ENTERPRISE),
            ("Trung tâm", vocab.K.GOVERNMENT_AGENCY),
            ("Trạm", vocab.K.RESEARCH_INSTITUTE),
            ("Phòng thí nghiệm", vocab.K.RESEARCH_INSTITUTE),
        ]
        trades = ["Nông nghiệp", "Công nghệ", "Môi trường", "Dược liệu", "Thủy sản", "Du lịch"]
        places = ["Hương Thủy", "Phong Điền", "Quảng Điền", "Phú Lộc", "A Lưới", "Phú Vang"]
        used = {r["name"] for r in rows}
        while len(rows) < 300:
            prefix, kind = self.rng.choice(kinds)
            name = (
                f"{prefix} {self.rng.choice(trades)} {self.rng.choice(places)} "
                f"{self.rng.randint(1, 99)}"
            )
            if name in used:
                continue
            used.add(name)
            oid = len(rows) + 1
            rows.append(
                {
                    "id": oid,
                    "name": name,
                    "short_name": None,
                    "kind": kind,
                    "address": f"{self.rng.randint(1, 300)} đường số {oid}, {name.split()[-2]}",
                }
            )
            self.org_fields[oid] = tuple(self.rng.sample(list(Field), 2))
        return rows

    def scientists(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        rng = self.rng
        people, expertise, affiliations = [], [], []
        for pid in range(1, self.people + 1):
            female = rng.random() < 0.45
            name = " ".join(
                [
                    rng.choice(vocab.FAMILY_NAMES),
                    rng.choice(vocab.FEMALE_MIDDLE if female else vocab.MALE_MIDDLE),
                    rng.choice(vocab.FEMALE_GIVEN if female else vocab.MALE_GIVEN),
                ]
            )
            _prefix, degree, title, _w = weighted(rng, [(d, d[3]) for d in vocab.DEGREES])
            org = rng.randint(1, 300)
            field_ = rng.choice(self.org_fields[org])
            public = rng.random() < 0.3
            people.append(
                {
                    "id": pid,
                    "full_name": name,
                    "degree": degree,
                    "academic_title": title,
                    "email": f"nkh{pid}@example.vn",
                    "phone": f"09{rng.randint(10_000_000, 99_999_999)}",
                    "is_expert": public,
                    "public_profile": public,
                    "contact_public": public and rng.random() < 0.4,
                    "birth_year": rng.randint(1955, 1995),
                }
            )
            expertise.append(
                {
                    "person_id": pid,
                    "field": field_,
                    "speciality": rng.choice(vocab.SPECIALITIES[field_]),
                }
            )
            affiliations.append(
                {
                    "person_id": pid,
                    "organisation_id": org,
                    "position": rng.choice(vocab.POSITIONS[vocab.K.OTHER]),
                }
            )
            self.people_by_org_field.setdefault((org, field_), []).append(pid)
            self.people_by_field[field_].append(pid)
            self.names[pid] = name
        yield "people", people
        yield "expertise", expertise
        yield "affiliations", affiliations

    # tasks -----------------------------------------------------------------------------------

    def _title(self, field_: Field) -> str:
        rng = self.rng
        subject = rng.choice(SUBJECTS[field_])
        if rng.random() < 0.004:
            subject = f"{subject} và {rng.choice(RARE)}"
        parts = [rng.choice(ACTIONS), subject, rng.choice(PLACES)]
        if rng.random() < 0.5:
            parts.append(rng.choice(PURPOSES))
        return " ".join(parts)

    def _audit(
        self,
        rows: list[dict[str, Any]],
        action: str,
        at: datetime | date,
        stage: Stage,
        *,
        task_id: int | None,
        entity: tuple[str, int],
        details: dict[str, Any] | None = None,
    ) -> None:
        self.audit_id += 1
        if not isinstance(at, datetime):
            at = datetime.combine(at, datetime.min.time(), UTC) + timedelta(hours=9)
        self.written[action] = self.written.get(action, 0) + 1
        rows.append(
            {
                "id": self.audit_id,
                "at": at,
                "actor": "bench",
                "action": action,
                "entity_type": entity[0],
                "entity_id": entity[1],
                "task_id": task_id,
                "stage": stage,
                "details": details or {},
            }
        )

    def _number(self, kind: str, year: int) -> str:
        """The next number of a kind of document in a year, as the Department numbers them."""
        key = (kind, year)
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{self.numbers[key]:04d}/{year}/{kind}"

    def _rejected(self, out: dict[str, list[dict[str, Any]]], tid: int, year: int) -> None:
        """A proposal screened out or not recommended: its task stays private (publicity.py)."""
        rng = self.rng
        field_ = rng.choice(list(Field))
        title = self._title(field_)
        submitted = datetime(year - 1, rng.randint(6, 9), rng.randint(1, 28), 9, tzinfo=UTC)
        status = rng.choice([ProposalStatus.REJECTED, ProposalStatus.NOT_RECOMMENDED])
        code = self._code(year)
        host = rng.choice([o for o, fs in self.org_fields.items() if field_ in fs])
        out["proposals"].append(
            {
                "id": tid,
                "year": year,
                "title": title,
                "field": field_,
                "kind": TaskKind.RESEARCH_TOPIC,
                "proposer_organisation_id": host,
                "objectives": "",
                "expected_results": "",
                "estimated_budget": rng.randint(2, 30) * 100_000_000,
                "suggested_method": Method.SELECTION,
                "status": status,
                "submitted_at": submitted,
            }
        )
        out["tasks"].append(
            {
                "id": tid,
                "code": code,
                "year": year,
                "title": title,
                "field": field_,
                "kind": TaskKind.RESEARCH_TOPIC,
                "method": Method.SELECTION,
                "stage": Stage.TASK_LIST,
                "status": TaskStatus.CANCELLED,
                "objectives": "",
                "expected_results": "",
                "proposal_id": tid,
                "edition": "2014",
            }
        )
        audit, step1, proposal = out["audit_log"], Stage.TASK_LIST, ("proposal", tid)
        self._audit(
            audit,
            "proposal.submit",
            submitted,
            step1,
            task_id=None,
            entity=proposal,
            details={"title": title},
        )
        self._audit(
            audit,
            "proposal.register",
            submitted + timedelta(days=1),
            step1,
            task_id=tid,
            entity=proposal,
            details={"task_code": code, "title": title},
        )
        result = "rejected" if status is ProposalStatus.REJECTED else "passed"
        self._audit(
            audit,
            "proposal.screen",
            submitted + timedelta(days=14),
            step1,
            task_id=tid,
            entity=proposal,
            details={"result": result, "note": ""},
        )
        self._audit(
            audit,
            "task.move",
            submitted + timedelta(days=50),
            step1,
            task_id=tid,
            entity=("task", tid),
            details={"to": {"stage": step1.value, "status": "cancelled"}},
        )
        self._audit(
            audit,
            "task.close",
            submitted + timedelta(days=50),
            step1,
            task_id=tid,
            entity=("task", tid),
            details={"outcome": "rejected", "status": "cancelled"},
        )

    def _code(self, year: int) -> str:
        """The task's code as the services give it: NV-<year>-<nnn> (more digits when needed)."""
        self.sequence[year] = self.sequence.get(year, 0) + 1
        return f"NV-{year}-{self.sequence[year]:03d}"

    def task_batches(self, batch: int = 2000) -> Iterator[dict[str, list[dict[str, Any]]]]:
        rng = self.rng
        every_year = list(range(2006, 2028))
        # tasks are approved year after year: ids grow with the year, as in real life
        years = sorted(
            rng.choices(
                every_year, weights=[1 + (y - 2006) * 0.15 for y in every_year], k=self.tasks
            )
        )
        tid = 0
        for start in range(0, self.tasks, batch):
            out: dict[str, list[dict[str, Any]]] = {
                name: []
                for name in TABLES
                if name not in ("organisations", "people", "expertise", "affiliations")
            }
            for year in years[start : start + batch]:
                # every proposal gets a task when received; about one in ten is turned down
                while rng.random() < 0.1:
                    tid += 1
                    self._rejected(out, tid, year)
                tid += 1
                self._task(out, tid, year)
            yield out

    def _task(self, out: dict[str, list[dict[str, Any]]], tid: int, year: int) -> None:
        """One approved task at the step `stage_for` gives it, with the rows and audit entries
        the services would have written getting it there."""
        rng = self.rng
        S, T = Stage, TaskStatus
        field_ = rng.choice(list(Field))
        kind = weighted(
            rng,
            [(TaskKind.RESEARCH_TOPIC, 75), (TaskKind.PILOT_PROJECT, 15), (TaskKind.SCHEME, 10)],
        )
        method = Method.SELECTION if rng.random() < 0.6 else Method.DIRECT
        stage, status = stage_for(rng, year)
        title = self._title(field_)
        subject = title.split(" ", 2)[-1]
        objectives = " ".join(
            g.format(s=subject, p=rng.choice(PLACES), a=rng.choice(ACTIONS).lower())
            for g in rng.sample(GOALS, 3)
        )
        expected = " ".join(o.format(n=rng.randint(2, 50)) for o in rng.sample(OUTPUTS, 3))
        code = self._code(year)
        self.codes.append(code)
        host = rng.choice([o for o, fs in self.org_fields.items() if field_ in fs])
        team = self.people_by_org_field.get((host, field_)) or self.people_by_field[field_]
        members = rng.sample(team, min(len(team), rng.randint(3, 5)))
        # a host is chosen once the selection approval decision is signed
        hosted = stage not in (S.TASK_LIST, S.SELECTION)
        # one step after the other: proposals by August, screened, the advisory council in the
        # autumn, the list in November, the call, the host's decision, the contract, the work
        last_month = 8 if year <= 2026 else 7  # next year's list: a month earlier (below)
        submitted = datetime(
            year - 1, rng.randint(6, last_month), rng.randint(1, 28), 9, tzinfo=UTC
        )
        # next year's list was approved early enough for its calls to be out by now
        approved = date(year - 1, 11, rng.randint(1, 28)) if year <= 2026 else date(2026, 10, 1)
        approved += timedelta(days=0 if year <= 2026 else rng.randint(0, 14))
        budget = int(rng.lognormvariate(20.2, 0.6)) // 1_000_000 * 1_000_000
        budget = max(150_000_000, min(budget, 5_000_000_000))
        # a second call when the first found no host (always, when none was found at all)
        second_call = method is Method.SELECTION and (
            status is T.CANCELLED or (hosted and rng.random() < 0.05)
        )
        opened = approved + timedelta(days=115 if second_call else 40)  # the call that counts
        decided = opened + timedelta(days=80)
        after_decision = decided + timedelta(days=45)
        start_on = max(date(year, rng.randint(3, 6), 1), after_decision.replace(day=1))
        end_on = start_on + timedelta(days=rng.choice([365, 540, 730]))
        # a task at acceptance or beyond ended early enough for what followed to be done by now
        latest_end = {
            S.ACCEPTANCE: TODAY - timedelta(days=120),
            S.REGISTRATION: TODAY - timedelta(days=240),
        }.get(stage)
        if latest_end is not None:
            end_on = max(start_on + timedelta(days=180), min(end_on, latest_end))
        out["proposals"].append(
            {
                "id": tid,
                "year": year,
                "title": title,
                "field": field_,
                "kind": kind,
                "proposer_organisation_id": host,
                "objectives": objectives,
                "expected_results": expected,
                "estimated_budget": rng.randint(2, 30) * 100_000_000,
                "suggested_method": method,
                "status": ProposalStatus.APPROVED,
                "submitted_at": submitted,
            }
        )
        out["tasks"].append(
            {
                "id": tid,
                "code": code,
                "year": year,
                "title": title,
                "field": field_,
                "kind": kind,
                "method": method,
                "stage": stage,
                "status": status,
                "objectives": objectives,
                "expected_results": expected,
                "proposal_id": tid,
                "host_organisation_id": host if hosted else None,
                "principal_investigator_id": members[0] if hosted else None,
                "start_date": start_on if hosted else None,
                "end_date": end_on if hosted else None,
                "edition": "2025" if approved >= date(2025, 10, 1) else "2014",
                "edition_bound_on": approved,
            }
        )
        audit = out["audit_log"]

        def log(
            action: str, at: datetime | date, step: Stage, entity: tuple[str, int], **details: Any
        ) -> None:
            self._audit(audit, action, at, step, task_id=tid, entity=entity, details=details)

        def decision(kind: str, on: date, step: Stage) -> str:
            number = self._number("QĐ-SKHCN", on.year)
            log(
                f"decision.{kind}",
                on,
                step,
                ("decision", tid),
                number=number,
                signed_on=on.isoformat(),
                issuer="department",
            )
            return number

        def council(kind: str, established: date, step: Stage, **counted: Any) -> None:
            number = self._number("QĐ-HĐ", established.year)
            log(
                "council.establish",
                established,
                step,
                ("council", tid),
                type=kind,
                decision_number=number,
                established_on=established.isoformat(),
            )
            log(
                "council.count",
                established + timedelta(days=14),
                step,
                ("council", tid),
                type=kind,
                members_present=rng.randint(7, 9),
                **counted,
            )

        def move(on: date, to_stage: Stage, to_status: TaskStatus) -> None:
            log(
                "task.move",
                on,
                to_stage,
                ("task", tid),
                to={"stage": to_stage.value, "status": to_status.value},
            )

        def close(on: date, outcome: str) -> None:
            log("task.close", on, stage, ("task", tid), outcome=outcome, status=status.value)

        # 1. the task list: received, screened, the advisory council, the list approved
        step1, proposal = S.TASK_LIST, ("proposal", tid)
        self._audit(
            audit,
            "proposal.submit",
            submitted,
            step1,
            task_id=None,
            entity=proposal,
            details={"title": title},
        )
        log(
            "proposal.register",
            submitted + timedelta(days=1),
            step1,
            proposal,
            task_code=code,
            title=title,
        )
        log(
            "proposal.screen",
            submitted + timedelta(days=14),
            step1,
            proposal,
            result="passed",
            note="",
        )
        council("advisory", approved - timedelta(days=40), step1, verdict="recommended")
        decision("list_approval", approved, step1)
        log(
            "task_list.approve",
            approved,
            step1,
            ("task", tid),
            method=method.value,
            edition="2025" if approved >= date(2025, 10, 1) else "2014",
        )
        log("task_list.publish", approved + timedelta(days=5), step1, ("task", tid))
        if stage is S.TASK_LIST:
            return
        # 2. selection or direct assignment, up to the signed contract
        step2, first = S.SELECTION, approved + timedelta(days=40)
        if method is Method.SELECTION:
            number = self._number("TB-SKHCN", first.year)
            log("call.open", first, step2, ("call", tid), number=number, reopens_call_id=None)
            if second_call:
                log(
                    "selection.round_end",
                    first + timedelta(days=60),
                    step2,
                    ("call", tid),
                    reason="no_valid_application",
                    rounds=1,
                    recall_allowed=True,
                )
                log(
                    "call.open",
                    opened,
                    step2,
                    ("call", tid + 1_000_000),
                    number=self._number("TB-SKHCN", opened.year),
                    reopens_call_id=tid,
                )
        else:
            log(
                "call.open",
                opened,
                step2,
                ("call", tid),
                number=f"GTT-{code}",
                reopens_call_id=None,
            )
            log(
                "selection.invite_direct",
                opened,
                step2,
                ("application", tid),
                organisation_id=host,
                person_id=members[0],
            )
        if status is T.CANCELLED:
            log(
                "selection.round_end",
                opened + timedelta(days=60),
                step2,
                ("call", tid),
                reason="no_valid_application",
                rounds=2,
                recall_allowed=False,
            )
            close(opened + timedelta(days=61), "cancelled")
            return
        if stage is S.SELECTION:
            return
        log(
            "call.open_dossiers",
            opened + timedelta(days=35),
            step2,
            ("call", tid),
            valid=[tid],
            invalid=[],
            note="",
        )
        council("selection", opened + timedelta(days=45), step2, ranking=[tid])
        log(
            "appraisal.conclude",
            opened + timedelta(days=70),
            step2,
            ("council", tid),
            approved_budget=budget,
            requested=budget,
            present=3,
        )
        decision("selection_approval", decided, step2)
        log("selection.approve", decided, step2, ("application", tid), organisation_id=host)
        signed = start_on - timedelta(days=7)
        contract_number = self._number("HĐ-KHCN", year)
        log(
            "contract.create",
            signed - timedelta(days=5),
            step2,
            ("contract", tid),
            number=contract_number,
            value=budget,
        )
        log(
            "contract.sign",
            signed,
            step2,
            ("contract", tid),
            signed_on=signed.isoformat(),
            signed_document_id=None,
        )
        out["budget_lines"].append(
            {"task_id": tid, "source": FundingSource.STATE_BUDGET, "amount": budget}
        )
        if rng.random() < 0.4:
            out["budget_lines"].append(
                {
                    "task_id": tid,
                    "source": FundingSource.COUNTERPART,
                    "amount": budget // rng.randint(4, 10),
                }
            )
        for n, pid in enumerate(members):
            role = (
                TaskMemberRole.PRINCIPAL_INVESTIGATOR
                if n == 0
                else TaskMemberRole.SECRETARY
                if n == 1
                else TaskMemberRole.MEMBER
            )
            out["task_members"].append({"task_id": tid, "person_id": pid, "role": role})
        contract = {
            "id": tid,
            "number": contract_number,
            "task_id": tid,
            "organisation_id": host,
            "value": budget,
            "signed_on": signed,
            "starts_on": start_on,
            "ends_on": end_on,
            "status": ContractStatus.SIGNED,
        }
        out["contracts"].append(contract)
        # 3. implementation: a report every six months, now and then an inspection or a change
        step3 = S.IMPLEMENTATION
        log(
            "implementation.plan",
            signed + timedelta(days=1),
            step3,
            ("task", tid),
            report_schedule=[],
            leader=members[0],
        )
        # the work stops at a suspension or a termination
        stopped = {
            T.SUSPENDED: min(TODAY, start_on + timedelta(days=250)),
            T.TERMINATED: start_on + timedelta(days=300),
        }.get(status, TODAY)
        reports_until = min(end_on, stopped)
        due, period = start_on + timedelta(days=182), 1
        while due <= reports_until:
            log(
                "implementation.record_report",
                due,
                step3,
                ("progress_report", tid),
                period=f"{period}",
                progress_percent=min(100, period * 30),
                expected_percent=min(100.0, period * 33.3),
                inspection_needed=False,
            )
            if rng.random() < 0.15 and due + timedelta(days=20) <= reports_until:
                log(
                    "implementation.inspect",
                    due + timedelta(days=20),
                    step3,
                    ("inspection", tid),
                    kind=rng.choice(["inspection", "annual_evaluation"]),
                    conclusion="on_track",
                    funding_continues=True,
                )
            due, period = due + timedelta(days=182), period + 1
        if rng.random() < 0.1 and start_on + timedelta(days=200) <= reports_until:
            log(
                "implementation.decide_change",
                start_on + timedelta(days=200),
                step3,
                ("change_request", tid),
                approved=True,
                kind=rng.choice(["extension", "budget", "personnel", "content"]),
                note="",
            )
        if status is T.SUSPENDED:
            decision("suspension", stopped, step3)
            move(stopped, step3, T.SUSPENDED)
            return
        if status is T.TERMINATED:
            decision("termination", stopped, step3)
            move(stopped, step3, T.TERMINATED)
            contract["status"] = ContractStatus.TERMINATED
            close(stopped, "terminated")
            return
        if stage is step3 and status is T.FAILED:  # no dossier within six months of the end
            late = end_on + timedelta(days=183)
            move(late, step3, T.FAILED)
            close(late, "late")
            return
        if stage is step3:
            return
        # 4. acceptance: the dossier, the council's rating, the completed dossier
        step4, filed = S.ACCEPTANCE, end_on + timedelta(days=20)
        dossier: dict[str, Any] = {
            "id": tid,
            "task_id": tid,
            "level": AcceptanceLevel.DEPARTMENT,
            "submitted_on": filed,
            "status": DossierStatus.SUBMITTED,
        }
        out["acceptance_dossiers"].append(dossier)
        log(
            "acceptance.submit_dossier",
            filed,
            step4,
            ("acceptance_dossier", tid),
            filed_on=filed.isoformat(),
            too_late=False,
        )
        if status is T.UNDER_ACCEPTANCE and rng.random() < 0.4:
            return  # the dossier is being checked
        valid_on = filed + timedelta(days=3)
        dossier.update(status=DossierStatus.VALID, valid_on=valid_on)
        log(
            "acceptance.validate_dossier",
            valid_on,
            step4,
            ("acceptance_dossier", tid),
            valid=True,
            missing=[],
            due_on=valid_on.isoformat(),
        )
        if status is T.UNDER_ACCEPTANCE:
            return  # the council is being set up or meets
        rated = valid_on + timedelta(days=40)
        rating = (
            Rating.FAIL
            if status is T.FAILED
            else Rating.EXCELLENT
            if rng.random() < 0.15
            else Rating.PASS
        )
        council("acceptance", rated - timedelta(days=14), step4, verdict=rating.value)
        dossier.update(council_rating=rating, rated_on=rated)
        log(
            "acceptance.record_result",
            rated,
            step4,
            ("acceptance_dossier", tid),
            rating=rating.value,
            completion_due_on=None,
        )
        if rating is Rating.FAIL:
            move(rated, step4, T.FAILED)
            refund = budget // rng.randint(2, 5)
            dossier.update(final_rating=Rating.FAIL, refund_amount=refund, work_done="…")
            contract["refund_amount"] = refund
            log(
                "acceptance.settle_failure",
                rated + timedelta(days=30),
                step4,
                ("acceptance_dossier", tid),
                refund_amount=refund,
            )
            close(rated + timedelta(days=31), "failed")
            return
        completed = rated + timedelta(days=35)
        dossier["completed_on"] = completed
        log(
            "acceptance.confirm_completion",
            completed,
            step4,
            ("acceptance_dossier", tid),
            completed=True,
            note="",
        )
        move(completed, step4, T.ACCEPTED)
        if stage is step4:
            return
        # 5. registration, the recognition decision, archive, publication, liquidation
        step5, registered = S.REGISTRATION, completed + timedelta(days=20)
        move(registered, step5, T.ACCEPTED)
        registration: dict[str, Any] = {
            "id": tid,
            "task_id": tid,
            "result_key": "main",
            "title": f"Kết quả: {subject}",
            "submitted_on": registered,
        }
        out["result_registrations"].append(registration)
        log(
            "registration.register",
            registered,
            step5,
            ("result_registration", tid),
            result_key="main",
            due_on=None,
            late=False,
        )
        if status is T.ACCEPTED:
            return
        checked = registered + timedelta(days=5)
        log(
            "registration.check",
            checked,
            step5,
            ("result_registration", tid),
            valid=True,
            missing=[],
            due_on=None,
        )
        issued = checked + timedelta(days=10)
        number = self._number("GCN-KHCN", issued.year)
        registration.update(certificate_number=number, certificate_issued_on=issued)
        log(
            "registration.issue_certificate",
            issued,
            step5,
            ("result_registration", tid),
            certificate_number=number,
        )
        if status is T.REGISTERED and rng.random() < 0.5:
            return  # the recognition decision is being prepared
        recognised = issued + timedelta(days=15)
        dossier.update(
            decision_number=decision("recognition", recognised, step5),
            decision_on=recognised,
            final_rating=rating,
        )
        if status is T.REGISTERED:
            return
        archived = recognised + timedelta(days=10)
        log(
            "registration.archive",
            archived,
            step5,
            ("result_registration", tid),
            certificateNumber=number,
            documents=[],
        )
        if rng.random() < 0.9:
            registration["published_on"] = archived + timedelta(days=5)
            log(
                "registration.publish",
                archived + timedelta(days=5),
                step5,
                ("result_registration", tid),
            )
        liquidated = archived + timedelta(days=30)
        contract.update(status=ContractStatus.LIQUIDATED, liquidated_on=liquidated)
        log(
            "contract.close",
            liquidated,
            step5,
            ("contract", tid),
            liquidated_on=liquidated.isoformat(),
        )
        close(liquidated, "completed")


# The tables written, in the order their rows go in (by their names in the models).
TABLES: dict[str, Table] = {
    model.__tablename__: model.metadata.tables[model.__tablename__]
    for model in (
        Organisation,
        Person,
        Expertise,
        Affiliation,
        Proposal,
        Task,
        TaskMember,
        BudgetLine,
        Contract,
        AcceptanceDossier,
        ResultRegistration,
        AuditEntry,
    )
}


def fresh_database(database: str | None) -> str:
    """A new, empty database: a SQLite file under var/bench, or one on the given server."""
    if database is None or database.startswith("sqlite"):
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "portal_load.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"khcn_portal_bench_{uuid.uuid4().hex[:8]}"
    server = make_engine(database, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return normalise_url(database).rsplit("/", 1)[0] + "/" + name


def load(url: str, tasks: int, people: int) -> tuple[list[str], dict[str, float]]:
    """Migrate and fill the database; returns the task codes and how long each part took."""
    timings: dict[str, float] = {}
    began = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    generator = Generator(tasks, people)
    counts: dict[str, int] = {}

    def insert(conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            # executemany binds the same columns for every row: what one row leaves out is NULL
            columns = dict.fromkeys(key for row in rows for key in row)
            rows = [{key: row.get(key) for key in columns} for row in rows]
            conn.execute(TABLES[name].insert(), rows)
            counts[name] = counts.get(name, 0) + len(rows)

    with engine.begin() as conn:
        insert(conn, "organisations", generator.organisations())
        for name, rows in generator.scientists():
            insert(conn, name, rows)
    timings["reference data"] = time.perf_counter() - began
    mark = time.perf_counter()
    for batch in generator.task_batches():
        with engine.begin() as conn:
            for name, rows in batch.items():
                insert(conn, name, rows)
        done = len(generator.codes)
        print(f"\r  {done:,} public tasks written", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    timings["tasks and their rows"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with engine.begin() as conn:
        search.rebuild(conn)
        if engine.dialect.name == "postgresql":
            for table in TABLES.values():  # ids were given explicitly: move the sequences on
                if "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
    timings["search index rebuild"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    timings["analyze"] = time.perf_counter() - mark
    engine.dispose()
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), file=sys.stderr)
    report_actions(generator.written)
    return generator.codes, timings


def report_actions(written: dict[str, int]) -> None:
    """Compare the audit actions written with those the public timeline shows (its EVENTS),
    so a generator that drifts from the services and the timeline says so on every load."""
    shown = {getattr(event, "action", event) for event in timeline.EVENTS}
    public = sum(n for action, n in written.items() if action in shown)
    print(
        f"  audit entries: {sum(written.values()):,}, {public:,} of them of actions the "
        "public timeline shows",
        file=sys.stderr,
    )
    print("  written, not shown: " + ", ".join(sorted(set(written) - shown)), file=sys.stderr)
    if missing := sorted(shown - set(written)):
        print("  shown, never written: " + ", ".join(missing), file=sys.stderr)


# --- the server and the clients --------------------------------------------------------------


def start_portal(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The portal as `khcn portal` builds it, under uvicorn with `workers` processes."""
    env = dict(os.environ, KHCN_DATABASE_URL=url, KHCN_ENV="development")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "portal_load:portal_app",
        "--app-dir",
        str(Path(__file__).resolve().parent),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far (Linux /proc)."""
    total = 0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid] + [int(c) for c in children.read_text().split()] if children.exists() else [pid]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_cost(server: subprocess.Popen[bytes], phase: Any) -> dict[str, Any]:
    """Run a measuring phase; add the server's CPU time per request and the machine's load."""
    before = cpu_seconds(server.pid)
    figures = asyncio.run(phase)
    spent = cpu_seconds(server.pid) - before
    figures["server_cpu_ms_per_request"] = round(spent * 1000 / max(1, figures["n"]), 2)
    figures["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    return figures


def portal_app() -> Any:
    """The app uvicorn's workers build (from KHCN_DATABASE_URL, as `khcn portal` would)."""
    from khcn.portal_server import build_portal
    from khcn.settings import Settings

    return build_portal(Settings())


class Client:
    """One keep-alive HTTP/1.1 connection: GET, read the whole answer, time it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, float]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        began = time.perf_counter()
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: vi\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (
                line.partition(":") for line in head.decode("latin-1").split("\r\n")[1:]
            )
        }
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status, time.perf_counter() - began

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of latencies, in milliseconds."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "p50_ms": round(at(0.50), 1),
        "p95_ms": round(at(0.95), 1),
        "p99_ms": round(at(0.99), 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


# The fixed query mix: (kind, query string of /api/v1/tasks and /tasks).
QUERY_MIX: list[tuple[str, str]] = [
    ("common", "q=nghien+cuu"),
    ("common", "q=nong+nghiep"),
    ("common", "q=ung+dung"),
    ("common", "q=hue"),
    ("common", "q=phat+trien+ben+vung"),
    ("rare", "q=san+ho"),
    ("rare", "q=ca+kinh"),
    ("rare", "q=tram+huong"),
    ("rare", "q=NV-2019-124"),
    ("accent-free", "q=dam+pha"),
    ("accent-free", "q=duong+giao+thong"),
    ("accent-free", "q=thanh+tra+hue"),
    ("accent-free", "q=" + quote("Đầm phá Tam Giang")),
    ("accent-free", "q=am+nhac+cung+dinh"),
    ("filters", "q=nong+nghiep&field=agricultural&year=2020"),
    ("filters", "q=ung+dung&stage=implementation"),
    ("filters", "q=hue&funding_min=500&funding_max=2000&sort=budget_high"),
    ("filters", "field=medical_pharmaceutical&year=2024"),
    ("filters", "result=published&organisation=5"),
    ("filters", "q=nghien+cuu&page=5"),
    ("filters", ""),
]


async def sequential_search(port: int, rounds: int) -> dict[str, Any]:
    """Each query of the mix `rounds` times, one at a time: latency per kind."""
    client = Client(port)
    by_kind: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, query in QUERY_MIX:
            status, took = await client.get("/api/v1/tasks?" + query)
            assert status == 200, (query, status)
            by_kind.setdefault(kind, []).append(took)
    client.close()
    result = {kind: percentiles(samples) for kind, samples in by_kind.items()}
    result["all"] = percentiles([s for samples in by_kind.values() for s in samples])
    return result


async def hammer(port: int, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """`clients` connections asking for random paths for `seconds`: requests/s, latencies."""
    deadline = time.perf_counter() + seconds
    samples: list[float] = []
    errors = 0
    rng = random.Random(7)

    async def one() -> None:
        nonlocal errors
        client = Client(port)
        while time.perf_counter() < deadline:
            status, took = await client.get(rng.choice(paths))
            if status != 200:
                errors += 1
            samples.append(took)
        client.close()

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    return {
        "requests_per_s": round(len(samples) / elapsed, 1),
        "errors": errors,
        "clients": clients,
        "seconds": round(elapsed, 1),
        **percentiles(samples),
    }


async def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = Client(port)
            status, _ = await client.get("/")
            client.close()
            if status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the portal did not start")
        await asyncio.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the query mix")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--reuse", help="measure an already filled database URL instead")
    parser.add_argument("--load-only", action="store_true", help="fill the database, stop")
    args = parser.parse_args()

    if args.reuse:
        url, timings = args.reuse, dict[str, float]()
        upgrade(url)  # a database filled before the newest migrations gets them (indexes)
        engine = make_engine(url)
        with engine.connect() as conn:
            # the public tasks: those of approved proposals, which the index holds
            public = "SELECT code FROM tasks JOIN task_search ON task_search.task_id = tasks.id"
            codes = list(conn.scalars(text(public)))
        engine.dispose()
    else:
        url = fresh_database(args.database)
        print(f"generating {args.tasks:,} tasks into {url}", file=sys.stderr)
        codes, timings = load(url, args.tasks, args.people)
        for what, took in timings.items():
            print(f"  {what}: {took:.1f} s", file=sys.stderr)
        if args.load_only:
            print(url)
            return

    port = args.port
    if not port:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    server = start_portal(url, port, args.workers)
    try:
        asyncio.run(wait_ready(port))
        rng = random.Random(11)
        task_paths = [f"/tasks/{quote(code)}" for code in rng.sample(codes, min(5000, len(codes)))]
        search_paths = ["/tasks?" + query for _, query in QUERY_MIX]
        asyncio.run(hammer(port, task_paths[:200] + search_paths, 10, 3))  # warm up
        latency = asyncio.run(sequential_search(port, args.rounds))
        task_pages = server_cost(server, hammer(port, task_paths, args.clients, args.seconds))
        search_pages = server_cost(server, hammer(port, search_paths, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)

    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    report = {
        "database": kind,
        "tasks": len(codes),
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_seconds": {k: round(v, 1) for k, v in timings.items()},
        "search_latency_api": latency,
        "task_pages": task_pages,
        "search_pages": search_pages,
    }
    out = ROOT / "var" / "bench" / f"portal_load-{kind}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(
        f"\nportal under load: {len(codes):,} tasks on {kind}, {args.workers} worker(s), "
        f"{os.cpu_count()} CPU(s)"
    )
    print(f"{'search /api/v1/tasks (one client)':<40} {'p50':>8} {'p95':>8} {'p99':>8}")
    for name, figures in latency.items():
        print(
            f"  {name:<38} {figures['p50_ms']:>6} ms {figures['p95_ms']:>5} ms "
            f"{figures['p99_ms']:>5} ms"
        )
    for name, figures in (("task pages", task_pages), ("search pages", search_pages)):
        print(
            f"{name} at {figures['clients']} clients: {figures['requests_per_s']} req/s "
            f"(p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"errors {figures['errors']}); server CPU {figures['server_cpu_ms_per_request']} ms "
            f"a request; load average {figures['load_average_1min_after']}"
        )
    print("targets on 2 cores: search p95 <= 50 ms, task pages >= 300 req/s")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
