"""Regulation editions: every number and choice of the procedure, as data, with its source.

Two editions are in force at once (../shared/regulations/README.md):

- ``2014``: Luật KH&CN 2013 (29/2013/QH13), NĐ 08/2014/NĐ-CP and the circulars TT 06/2023,
  TT 20/2023, TT 11/2014, TT 14/2014 and TT 04/2015 of the Ministry of Science and Technology.
  Tasks approved before 01/10/2025 finish under it. Every number is taken from the stored
  pháp điển text, article cited next to it.
- ``2025``: Luật KH,CN&ĐMST 93/2025/QH15 (in force 01/10/2025), NĐ 267/2025/NĐ-CP and
  TT 36/2025/TT-BKHCN, whose texts are not stored. What the stored 2026 circulars that apply
  the law show is cited; every other number is the 2014 one, marked unverified.

A province changes numbers in a settings file (TOML, ``KHCN_RULES_FILE``): ``load_overrides``
validates it and names the field when a value is wrong. A task is bound to the edition in
force on the day its list was approved (``Regulations.in_force``) and keeps it to the end;
``Edition.processes`` names the step processes deployed for that edition.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    model_validator,
)


def _share(value: Any) -> Fraction:
    """A share written "2/3", 0.75 or [2, 3]; strictly between 0 and 1 inclusive of 1."""
    if isinstance(value, Fraction):
        share = value
    elif isinstance(value, str):
        num, _, den = value.partition("/")
        share = Fraction(int(num), int(den or "1"))
    elif isinstance(value, list | tuple) and len(value) == 2:
        share = Fraction(int(value[0]), int(value[1]))
    elif isinstance(value, int | float):
        share = Fraction(str(value))
    else:
        raise ValueError('a share is written like "2/3"')
    if not 0 < share <= 1:
        raise ValueError(f"a share must be above 0 and at most 1, not {share}")
    return share


Share = Annotated[
    Fraction,
    BeforeValidator(_share),
    PlainSerializer(lambda f: f"{f.numerator}/{f.denominator}", return_type=str),
]


class _Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Quorum(_Rules):
    """Who must be present for a council to deliberate."""

    share: Share
    chair_or_vice: bool
    all_reviewers: bool
    secretary: bool


class CouncilRules(_Rules):
    """Size, make-up and working rules of one kind of council."""

    size_min: int
    size_max: int
    reviewers: int
    quorum: Quorum
    # Documents reach the members at least this many working days before the meeting.
    documents_lead_working_days: int
    # Written reviews are due this many working days before the meeting (0: at the meeting).
    reviews_due_working_days: int
    counting_committee: int

    @model_validator(mode="after")
    def _sizes(self) -> CouncilRules:
        if not 0 < self.size_min <= self.size_max:
            raise ValueError(f"size_min {self.size_min} must be 1..size_max {self.size_max}")
        # chair, vice-chair, the reviewers and the scientific secretary must fit
        if self.size_min < self.reviewers + 3:
            raise ValueError(f"size_min {self.size_min} leaves no room for the key roles")
        return self


class AdvisoryRules(_Rules):
    """Step 1: the advisory council that identifies tasks."""

    council: CouncilRules
    # A proposal is recommended when more than this share of the ballots say "Đạt yêu cầu".
    pass_share: Share
    proposal_revision_days: int


class AppraisalRules(_Rules):
    """The budget appraisal team (tổ thẩm định kinh phí)."""

    team_size: int
    quorum_share: Share
    documents_lead_working_days: int
    meeting_within_days: int


class SelectionRules(_Rules):
    """Step 2: selection and direct assignment."""

    council: CouncilRules
    appraisal: AppraisalRules
    call_open_days: int
    opening_working_days: int
    second_call_within_months: int
    max_call_rounds: int
    # A ballot whose total is more than this share away from the mean is void.
    ballot_deviation: Share
    min_average: float
    # No criterion may get 0 from more than this share of the members present.
    zero_share: Share
    proposer_bonus: Share
    tie_breaks: tuple[Literal["lower_state_budget", "prior_excellent", "content_score"], ...]
    # Which scoring sheet (SCORING_SHEETS) each kind of task is scored on.
    scoring_sheets: dict[Literal["technology", "social", "scheme", "project"], str]
    proposal_completion_days: int
    direct_dossier_days: int
    contract_signature_days: int
    result_publication_days: int

    @model_validator(mode="after")
    def _sheets(self) -> SelectionRules:
        unknown = sorted(set(self.scoring_sheets.values()) - set(SCORING_SHEETS))
        if unknown:
            raise ValueError(f"no scoring sheet {unknown[0]} (known: {', '.join(SCORING_SHEETS)})")
        return self


class ImplementationRules(_Rules):
    """Step 3: reports, inspections or evaluations, extensions."""

    progress_report_months: int
    review_months: int
    extensions_allowed: int
    extension_long_task_months: int
    extension_max_months_long: int
    extension_max_months_short: int
    extension_request_months_before: int
    inspection_lag_points: float
    suspension_decision_working_days: int


class AcceptanceRules(_Rules):
    """Step 4: the acceptance dossier, council and verdict."""

    council: CouncilRules
    expert_members: int
    user_side_members: int
    earlier_council_members: int
    dossier_due_days: int
    dossier_check_working_days: int
    dossier_fix_working_days: int
    late_limit_months: int
    setup_working_days: int
    meeting_within_days: int
    excellent_share: Share
    fail_share: Share
    completion_working_days: int
    recognition_working_days: int

    @model_validator(mode="after")
    def _make_up(self) -> AcceptanceRules:
        total = self.expert_members + self.user_side_members
        if not self.council.size_min <= total <= self.council.size_max:
            raise ValueError(
                f"expert_members + user_side_members = {total} does not fit the council size "
                f"{self.council.size_min}..{self.council.size_max}"
            )
        return self


class RegistrationRules(_Rules):
    """Step 5: registration of results."""

    registration_days: int
    revision_days: int


Signer = Literal["people_committee", "department"]


class Edition(_Rules):
    """One edition of the rules: what a task bound to it follows from approval to the end."""

    id: str
    name_vi: str
    name_en: str
    in_force_from: date
    in_force_until: date | None
    texts: tuple[str, ...]
    signer: Signer
    # A host that lets a deadline pass is reminded this often until it acts or gives up.
    host_reminder_days: int
    advisory: AdvisoryRules
    selection: SelectionRules
    implementation: ImplementationRules
    acceptance: AcceptanceRules
    registration: RegistrationRules
    # BPMN process id of each step for tasks bound to this edition (Zeebe 8.5 always calls
    # the latest version of an id: an edition whose step differs names a process of its own).
    processes: dict[Literal["selection", "implementation", "acceptance", "registration"], str]

    def council(self, kind: str) -> CouncilRules:
        """The rules of the council of a step: advisory, selection or acceptance."""
        return {
            "advisory": self.advisory.council,
            "selection": self.selection.council,
            "acceptance": self.acceptance.council,
        }[kind]


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """Where a number comes from: an article of a stored text, or unverified."""

    article: str
    unverified: bool = False
    note: str = ""

    def text(self) -> str:
        """The citation as printed (`rules show`)."""
        mark = " (chưa đối chiếu văn bản / unverified)" if self.unverified else ""
        note = f" — {self.note}" if self.note else ""
        return f"{self.article}{mark}{note}"


def _s(article: str, note: str = "") -> Source:
    return Source(article, False, note)


def _u(article: str, note: str = "") -> Source:
    return Source(article, True, note)


# --------------------------------------------------------------------------- scoring sheets


@dataclass(frozen=True)
class Criterion:
    """One group of criteria of a scoring sheet and its maximum."""

    code: str
    label_vi: str
    max_points: int
    # Counts as "nội dung và phương án triển khai" for the last tie-break (TT 20/2023 Đ11.8b).
    content: bool = False


@dataclass(frozen=True)
class ScoringSheet:
    """A scoring sheet (phiếu đánh giá chấm điểm) for one kind of task."""

    id: str
    title_vi: str
    source: str
    criteria: tuple[Criterion, ...]

    @property
    def max_total(self) -> int:
        """The sum of the maxima (100 on every sheet of TT 20/2023 Đ12)."""
        return sum(c.max_points for c in self.criteria)

    def maxima(self) -> dict[str, int]:
        """Criterion code → maximum points."""
        return {c.code: c.max_points for c in self.criteria}


SCORING_SHEETS: dict[str, ScoringSheet] = {
    sheet.id: sheet
    for sheet in (
        ScoringSheet(
            "tt20-2023-d12-1",
            "Đề tài nghiên cứu ứng dụng và phát triển công nghệ",
            "TT 20/2023 Đ12.1",
            (
                Criterion("overview", "Tổng quan tình hình nghiên cứu", 12),
                Criterion(
                    "content",
                    "Nội dung, nhân lực thực hiện, phương pháp nghiên cứu và kỹ thuật sử dụng",
                    24,
                    content=True,
                ),
                Criterion("products", "Sản phẩm khoa học và công nghệ", 16),
                Criterion("application", "Khả năng ứng dụng kết quả vào sản xuất và đời sống", 16),
                Criterion("feasibility", "Tính khả thi về kế hoạch và kinh phí thực hiện", 16),
                Criterion("capacity", "Năng lực của tổ chức và cá nhân thực hiện", 16),
            ),
        ),
        ScoringSheet(
            "tt20-2023-d12-2",
            "Đề tài khoa học xã hội và nhân văn, đề án khoa học",
            "TT 20/2023 Đ12.2",
            (
                Criterion("overview", "Tổng quan tình hình nghiên cứu", 12),
                Criterion("content", "Nội dung và hoạt động hỗ trợ nghiên cứu", 12, content=True),
                Criterion("approach", "Cách tiếp cận và phương pháp nghiên cứu", 12),
                Criterion("feasibility", "Tính khả thi về kế hoạch và kinh phí thực hiện", 20),
                Criterion(
                    "products",
                    "Sản phẩm, lợi ích của kết quả và phương án chuyển giao sản phẩm",
                    24,
                ),
                Criterion("capacity", "Năng lực của tổ chức và cá nhân thực hiện", 20),
            ),
        ),
        ScoringSheet(
            "tt20-2023-d12-4",
            "Dự án sản xuất thử nghiệm",
            "TT 20/2023 Đ12.4",
            (
                Criterion("overview", "Tổng quan về các vấn đề công nghệ và thị trường", 8),
                Criterion("content", "Nội dung và phương án triển khai", 20, content=True),
                Criterion("technology", "Tính mới và tính khả thi của công nghệ", 12),
                Criterion("impact", "Khả năng phát triển và hiệu quả kinh tế - xã hội", 12),
                Criterion("products", "Sản phẩm khoa học và công nghệ", 16),
                Criterion("finance", "Phương án tài chính", 16),
                Criterion("capacity", "Năng lực của tổ chức và cá nhân thực hiện", 16),
            ),
        ),
    )
}


# --------------------------------------------------------------------------- the editions

# NĐ 08/2014 Đ33.1: two thirds of the members, among them the chair or the vice-chair, the
# reviewers and the scientific secretary (every council of the procedure).
QUORUM_2014 = Quorum(share=Fraction(2, 3), chair_or_vice=True, all_reviewers=True, secretary=True)

EDITION_2014 = Edition(
    id="2014",
    name_vi="Luật Khoa học và Công nghệ 2013 và các văn bản hướng dẫn",
    name_en="Law on Science and Technology 2013 and its implementing texts",
    in_force_from=date(2014, 1, 1),
    in_force_until=date(2025, 9, 30),
    texts=(
        "Luật Khoa học và Công nghệ số 29/2013/QH13",
        "Nghị định số 08/2014/NĐ-CP",
        "Thông tư số 06/2023/TT-BKHCN (xác định nhiệm vụ)",
        "Thông tư số 20/2023/TT-BKHCN (tuyển chọn, giao trực tiếp)",
        "Thông tư số 04/2015/TT-BKHCN (kiểm tra, điều chỉnh, chấm dứt hợp đồng)",
        "Thông tư số 11/2014/TT-BKHCN (đánh giá, nghiệm thu)",
        "Thông tư số 14/2014/TT-BKHCN (đăng ký, lưu giữ kết quả)",
    ),
    signer="people_committee",
    host_reminder_days=7,
    advisory=AdvisoryRules(
        council=CouncilRules(
            size_min=7,
            size_max=11,
            reviewers=2,
            quorum=QUORUM_2014,
            documents_lead_working_days=5,
            reviews_due_working_days=1,
            counting_committee=3,
        ),
        pass_share=Fraction(3, 4),
        proposal_revision_days=30,
    ),
    selection=SelectionRules(
        council=CouncilRules(
            size_min=7,
            size_max=9,
            reviewers=2,
            quorum=QUORUM_2014,
            documents_lead_working_days=7,
            reviews_due_working_days=1,
            counting_committee=3,
        ),
        appraisal=AppraisalRules(
            team_size=5,
            quorum_share=Fraction(4, 5),
            documents_lead_working_days=3,
            meeting_within_days=10,
        ),
        call_open_days=30,
        opening_working_days=7,
        second_call_within_months=6,
        max_call_rounds=2,
        ballot_deviation=Fraction(1, 5),
        min_average=70.0,
        zero_share=Fraction(1, 4),
        proposer_bonus=Fraction(1, 10),
        tie_breaks=("lower_state_budget", "prior_excellent", "content_score"),
        scoring_sheets={
            "technology": "tt20-2023-d12-1",
            "social": "tt20-2023-d12-2",
            "scheme": "tt20-2023-d12-2",
            "project": "tt20-2023-d12-4",
        },
        proposal_completion_days=20,
        direct_dossier_days=30,
        contract_signature_days=30,
        result_publication_days=15,
    ),
    implementation=ImplementationRules(
        progress_report_months=6,
        review_months=12,
        extensions_allowed=1,
        extension_long_task_months=24,
        extension_max_months_long=12,
        extension_max_months_short=6,
        extension_request_months_before=1,
        inspection_lag_points=20.0,
        suspension_decision_working_days=7,
    ),
    acceptance=AcceptanceRules(
        council=CouncilRules(
            size_min=9,
            size_max=9,
            reviewers=2,
            quorum=QUORUM_2014,
            documents_lead_working_days=7,
            reviews_due_working_days=1,
            counting_committee=3,
        ),
        expert_members=6,
        user_side_members=3,
        earlier_council_members=1,
        dossier_due_days=30,
        dossier_check_working_days=3,
        dossier_fix_working_days=5,
        late_limit_months=6,
        setup_working_days=15,
        meeting_within_days=30,
        excellent_share=Fraction(3, 4),
        fail_share=Fraction(1, 3),
        completion_working_days=30,
        recognition_working_days=10,
    ),
    registration=RegistrationRules(registration_days=30, revision_days=30),
    processes={
        "selection": "khcn-selection",
        "implementation": "khcn-implementation-2014",
        "acceptance": "khcn-acceptance",
        "registration": "khcn-registration",
    },
)

# What the stored 2026 circulars show of the 2025 law; the rest is the 2014 number, unverified.
EDITION_2025 = EDITION_2014.model_copy(
    update={
        "id": "2025",
        "name_vi": "Luật Khoa học, công nghệ và đổi mới sáng tạo 2025 và các văn bản hướng dẫn",
        "name_en": "Law on Science, Technology and Innovation 2025 and its implementing texts",
        "in_force_from": date(2025, 10, 1),
        "in_force_until": None,
        "texts": (
            "Luật Khoa học, công nghệ và đổi mới sáng tạo số 93/2025/QH15",
            "Nghị định số 267/2025/NĐ-CP",
            "Thông tư số 36/2025/TT-BKHCN",
            "(áp dụng: Thông tư số 25/2026/TT-BCT, Thông tư số 44/2026/TT-BGDĐT)",
        ),
        "advisory": EDITION_2014.advisory.model_copy(
            update={
                "council": EDITION_2014.advisory.council.model_copy(
                    update={"documents_lead_working_days": 3}
                )
            }
        ),
        "selection": EDITION_2014.selection.model_copy(
            update={
                "council": EDITION_2014.selection.council.model_copy(
                    update={"documents_lead_working_days": 3}
                )
            }
        ),
        "acceptance": EDITION_2014.acceptance.model_copy(
            update={
                "council": EDITION_2014.acceptance.council.model_copy(
                    update={"documents_lead_working_days": 3}
                )
            }
        ),
        "processes": {**EDITION_2014.processes, "implementation": "khcn-implementation-2025"},
    },
    deep=True,
)


def _council_sources(
    size: Source, reviewers: Source, quorum: Source, lead: Source, reviews: Source, count: Source
) -> dict[str, Source]:
    return {
        "size_min": size,
        "size_max": size,
        "reviewers": reviewers,
        "quorum.share": quorum,
        "quorum.chair_or_vice": quorum,
        "quorum.all_reviewers": quorum,
        "quorum.secretary": quorum,
        "documents_lead_working_days": lead,
        "reviews_due_working_days": reviews,
        "counting_committee": count,
    }


def _prefixed(prefix: str, sources: Mapping[str, Source]) -> dict[str, Source]:
    return {f"{prefix}.{k}": v for k, v in sources.items()}


_QUORUM_2014 = _s(
    "NĐ 08/2014 Đ33.1",
    "2/3 thành viên, có chủ tịch hoặc phó chủ tịch, đủ phản biện và thư ký khoa học",
)

SOURCES_2014: dict[str, Source] = {
    "id": _s("—"),
    "name_vi": _s("—"),
    "name_en": _s("—"),
    "in_force_from": _s("Luật 29/2013/QH13, hiệu lực 01/01/2014"),
    "in_force_until": _s(
        "Luật 93/2025/QH15 có hiệu lực 01/10/2025; nhiệm vụ phê duyệt trước đó thực hiện tiếp"
    ),
    "texts": _s("—"),
    "signer": _s("NĐ 08/2014 Đ27.2", "Chủ tịch UBND tỉnh phê duyệt và ký hợp đồng, hoặc ủy quyền"),
    "host_reminder_days": _u("—", "nhắc tổ chức chủ trì quá hạn: số ngày do Sở quy định"),
    **_prefixed(
        "advisory.council",
        _council_sources(
            _s("TT 06/2023 Đ10.2"),
            _s("TT 06/2023 Đ10.2", "02 ủy viên phản biện cho mỗi đề xuất"),
            _QUORUM_2014,
            _s("TT 06/2023 Đ11.4"),
            _s("TT 06/2023 Đ11.3b", "nhận xét trước khi họp"),
            _s("TT 20/2023 Đ11.5đ", "ban kiểm phiếu 3 ủy viên (áp dụng tương tự)"),
        ),
    ),
    "advisory.pass_share": _s("TT 06/2023 Đ12.7", 'trên 3/4 tổng số phiếu "Đạt yêu cầu"'),
    "advisory.proposal_revision_days": _u("—", "thời hạn bổ sung đề xuất do Sở quy định"),
    **_prefixed(
        "selection.council",
        _council_sources(
            _s("TT 20/2023 Đ8.1a"),
            _s("TT 20/2023 Đ8.1a"),
            _s("TT 20/2023 Đ10.2a; NĐ 08/2014 Đ33.1"),
            _s("TT 20/2023 Đ9.1"),
            _s("TT 11/2014 Đ10.2a", "nhận xét bằng văn bản trước phiên họp 01 ngày làm việc"),
            _s("TT 20/2023 Đ11.5đ"),
        ),
    ),
    "selection.appraisal.team_size": _s("TT 20/2023 Đ8.4"),
    "selection.appraisal.quorum_share": _s(
        "TT 20/2023 Đ13.1b", "có chủ tịch, phó chủ tịch hoặc phản biện của hội đồng"
    ),
    "selection.appraisal.documents_lead_working_days": _s("TT 20/2023 Đ9.1"),
    "selection.appraisal.meeting_within_days": _s("TT 20/2023 Đ13.1a"),
    "selection.call_open_days": _s("TT 20/2023 Đ3.2"),
    "selection.opening_working_days": _s("TT 20/2023 Đ7.1"),
    "selection.second_call_within_months": _s("TT 20/2023 Đ3.3"),
    "selection.max_call_rounds": _s("TT 20/2023 Đ3.3", "thông báo lần 2"),
    "selection.ballot_deviation": _s(
        "TT 20/2023 Đ11.5d", "phiếu chênh lệch quá 20% so với điểm trung bình là phiếu không hợp lệ"
    ),
    "selection.min_average": _s("TT 20/2023 Đ11.8a"),
    "selection.zero_share": _s(
        "TT 20/2023 Đ11.8a", "không tiêu chí nào có quá 1/4 số thành viên có mặt cho 0 điểm"
    ),
    "selection.proposer_bonus": _s(
        "TT 20/2023 Đ11.7", "tổ chức đề xuất nhiệm vụ đạt từ 70 điểm được cộng 10%"
    ),
    "selection.tie_breaks": _s("TT 20/2023 Đ11.8b"),
    "selection.scoring_sheets": _s("TT 20/2023 Đ12"),
    "selection.proposal_completion_days": _s("TT 20/2023 Đ11.12"),
    "selection.direct_dossier_days": _s("TT 20/2023 Đ21.1b; Đ3.2"),
    "selection.contract_signature_days": _u(
        "—", "thời hạn ký hợp đồng sau quyết định phê duyệt do Sở quy định"
    ),
    "selection.result_publication_days": _s("TT 20/2023 Đ16.2b"),
    "implementation.progress_report_months": _u("—", "báo cáo định kỳ 6 tháng theo thông lệ"),
    "implementation.review_months": _s("TT 04/2015 Đ6.1", "kiểm tra định kỳ 01 năm 01 lần"),
    "implementation.extensions_allowed": _s("TT 04/2015 Đ12.1"),
    "implementation.extension_long_task_months": _s("TT 04/2015 Đ12.1"),
    "implementation.extension_max_months_long": _s("TT 04/2015 Đ12.1"),
    "implementation.extension_max_months_short": _s("TT 04/2015 Đ12.1"),
    "implementation.extension_request_months_before": _s("TT 04/2015 Đ12.2"),
    "implementation.inspection_lag_points": _u(
        "—", "tiến độ chậm bao nhiêu thì kiểm tra đột xuất do Sở quy định"
    ),
    "implementation.suspension_decision_working_days": _s("TT 04/2015 Đ22.3a"),
    **_prefixed(
        "acceptance.council",
        _council_sources(
            _s("TT 11/2014 Đ9.3"),
            _s("TT 11/2014 Đ9.3"),
            _s("TT 11/2014 Đ10.2b; NĐ 08/2014 Đ33.1"),
            _s("TT 11/2014 Đ10.1"),
            _s("TT 11/2014 Đ10.2a; Đ23.1a"),
            _s("TT 11/2014 Đ10.5c"),
        ),
    ),
    "acceptance.expert_members": _s("TT 11/2014 Đ9.3a"),
    "acceptance.user_side_members": _s(
        "TT 11/2014 Đ9.3a", "đại diện cơ quan đặt hàng, tổ chức ứng dụng kết quả"
    ),
    "acceptance.earlier_council_members": _s("TT 11/2014 Đ9.3a"),
    "acceptance.dossier_due_days": _s("TT 11/2014 Đ7.1"),
    "acceptance.dossier_check_working_days": _s("TT 11/2014 Đ7.3"),
    "acceptance.dossier_fix_working_days": _s("TT 11/2014 Đ7.3"),
    "acceptance.late_limit_months": _s(
        "TT 11/2014 Đ13.1c", "nộp hồ sơ chậm quá 06 tháng: Không đạt"
    ),
    "acceptance.setup_working_days": _s("TT 11/2014 Đ9.1"),
    "acceptance.meeting_within_days": _s("TT 11/2014 Đ10.2"),
    "acceptance.excellent_share": _s(
        "TT 11/2014 Đ13.2a", "ít nhất 3/4 thành viên có mặt xếp Xuất sắc và không ai Không đạt"
    ),
    "acceptance.fail_share": _s(
        "TT 11/2014 Đ13.2b", "nhiều hơn 1/3 thành viên có mặt xếp Không đạt"
    ),
    "acceptance.completion_working_days": _s("TT 11/2014 Đ13.3"),
    "acceptance.recognition_working_days": _s("TT 11/2014 Đ17.2"),
    "registration.registration_days": _s(
        "TT 14/2014",
        "30 ngày kể từ khi nghiệm thu chính thức (điều khoản không có trong bản lưu; "
        "theo bảng đối chiếu regulations/README.md)",
    ),
    "registration.revision_days": _u("—", "thời hạn bổ sung hồ sơ đăng ký do Sở quy định"),
    "processes": _s("—", "quy trình BPMN của từng bước cho nhiệm vụ theo phiên bản này"),
}

_KEPT = "văn bản 2025 không có trong bản lưu; giữ số của phiên bản 2014"


def _sources_2025() -> dict[str, Source]:
    """2025: what TT 25/2026/TT-BCT and TT 44/2026/TT-BGDĐT show; the rest kept, unverified."""
    sources = {
        key: (src if src.article == "—" and not src.unverified else _u(src.article, _KEPT))
        for key, src in SOURCES_2014.items()
    }
    quorum = _s(
        "TT 25/2026/TT-BCT Đ5.3a",
        "2/3 thành viên, có chủ tịch hoặc phó chủ tịch, 02 phản biện và thư ký khoa học",
    )
    size = _s("TT 25/2026/TT-BCT Đ5.2a", "hội đồng xét tài trợ, đặt hàng 07-09 thành viên")
    lead = _u(
        "TT 42/2026", "theo bảng đối chiếu regulations/README.md; văn bản không có trong bản lưu"
    )
    for council in ("advisory", "selection", "acceptance"):
        for key in (
            "quorum.share",
            "quorum.chair_or_vice",
            "quorum.all_reviewers",
            "quorum.secretary",
        ):
            sources[f"{council}.council.{key}"] = quorum
        sources[f"{council}.council.documents_lead_working_days"] = lead
    for key in ("size_min", "size_max", "reviewers"):
        sources[f"selection.council.{key}"] = size
    sources["selection.appraisal.team_size"] = _s("TT 25/2026/TT-BCT Đ5.4a")
    sources["advisory.pass_share"] = _u(
        "TT 25/2026/TT-BCT",
        "kết luận khi trên 3/4 thành viên có mặt nhất trí "
        "(theo bảng đối chiếu; điều khoản không có trong bản lưu)",
    )
    sources["implementation.progress_report_months"] = _s(
        "TT 44/2026/TT-BGDĐT Đ7.3đ",
        "báo cáo định kỳ 06 tháng (nhiệm vụ của chương trình; áp dụng tương tự)",
    )
    sources["implementation.review_months"] = _s(
        "TT 44/2026/TT-BGDĐT Đ5.5", "đánh giá tối thiểu 01 lần/năm làm căn cứ cấp tiếp kinh phí"
    )
    sources["in_force_from"] = _s("Luật 93/2025/QH15, hiệu lực 01/10/2025")
    sources["in_force_until"] = _s("—")
    sources["signer"] = _u(
        "NĐ 08/2014 Đ27.2", "Luật 93/2025: tỉnh có thể phân cấp cho Sở; mặc định giữ Chủ tịch UBND"
    )
    return sources


SOURCES_2025 = _sources_2025()

OVERRIDE_SOURCE = "thiết lập của tỉnh"


def leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, value) of a nested mapping; mappings of rule groups are walked."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and path not in ("selection.scoring_sheets", "processes"):
            yield from leaves(value, f"{path}.")
        else:
            yield path, value


# --------------------------------------------------------------------------- regulations


class RulesFileError(ValueError):
    """The province's rules file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Regulations:
    """The editions in force for one province, with the source of every number."""

    editions: tuple[Edition, ...]
    sources: Mapping[str, Mapping[str, Source]]

    def edition(self, edition_id: str) -> Edition:
        """The edition with an id ("2014", "2025")."""
        for edition in self.editions:
            if edition.id == edition_id:
                return edition
        known = ", ".join(e.id for e in self.editions)
        raise KeyError(f"no regulation edition {edition_id!r} (known: {known})")

    def in_force(self, on: date) -> Edition:
        """The edition in force on a day (the day a task's list was approved binds it)."""
        for edition in self.editions:
            ends = edition.in_force_until
            if edition.in_force_from <= on and (ends is None or on <= ends):
                return edition
        raise KeyError(f"no regulation edition is in force on {on.isoformat()}")

    def source(self, edition_id: str, path: str) -> Source:
        """Where one number of an edition comes from."""
        return self.sources[edition_id][path]

    def with_signer(self, signer: Signer) -> Regulations:
        """The same editions with another signer (the province delegated, or took back)."""
        editions = tuple(e.model_copy(update={"signer": signer}) for e in self.editions)
        sources = {
            e.id: {**self.sources[e.id], "signer": Source(OVERRIDE_SOURCE, note="KHCN_SIGNER")}
            for e in self.editions
        }
        return replace(self, editions=editions, sources=sources)


DEFAULT_REGULATIONS = Regulations(
    editions=(EDITION_2014, EDITION_2025),
    sources={"2014": SOURCES_2014, "2025": SOURCES_2025},
)

# Fields a province may not change: identity, and the diagrams the engine runs.
_FIXED = {"id", "name_vi", "name_en", "texts", "processes"}


def _merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def apply_overrides(
    regulations: Regulations, overrides: Mapping[str, Any], origin: str
) -> Regulations:
    """The editions with a province's numbers; ``overrides`` maps an edition id (or "all") to
    nested changes. Raises RulesFileError naming the field of anything invalid."""
    known = {e.id for e in regulations.editions}
    unknown = set(overrides) - known - {"all"}
    if unknown:
        raise RulesFileError(
            f"{origin}: no edition {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(known))}, all)"
        )
    for scope, block in overrides.items():
        if not isinstance(block, Mapping):
            raise RulesFileError(f"{origin}: [{scope}] must be a table of changes")
        fixed = sorted(set(block) & _FIXED)
        if fixed:
            raise RulesFileError(f"{origin}: {scope}.{fixed[0]}: a province cannot change it")
    editions, sources = [], {}
    for edition in regulations.editions:
        changes = _merge(overrides.get("all") or {}, overrides.get(edition.id) or {})
        try:
            updated = Edition.model_validate(_merge(edition.model_dump(), changes))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            given = first.get("input")
            value = "" if isinstance(given, dict | list | type(None)) else f" (value {given!r})"
            raise RulesFileError(
                f"{origin}: {edition.id}.{where}: {first['msg']}{value}".rstrip(". ")
                if where
                else f"{origin}: {edition.id}: {first['msg']}"
            ) from None
        edition_sources = dict(regulations.sources[edition.id])
        for path, _value in leaves(changes):
            edition_sources[path] = Source(OVERRIDE_SOURCE, note=origin)
        editions.append(updated)
        sources[edition.id] = edition_sources
    return Regulations(editions=tuple(editions), sources=sources)


def load_overrides(path: Path, regulations: Regulations = DEFAULT_REGULATIONS) -> Regulations:
    """The editions with the numbers of a province's TOML rules file (validated)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesFileError(f"{path}: the rules file does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise RulesFileError(f"{path}: not valid TOML: {err}") from None
    return apply_overrides(regulations, data, str(path))
