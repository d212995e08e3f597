"""The closed vocabularies of the domain; their Vietnamese labels live in models/labels.py."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do in the system."""

    PUBLIC = "public"
    SCIENTIST = "scientist"
    COUNCIL_MEMBER = "council_member"
    STAFF = "staff"
    LEADER = "leader"
    ADMIN = "admin"


class Field(StrEnum):
    """Field of science and technology (the six top-level fields of the national classification)."""

    NATURAL_SCIENCES = "natural_sciences"
    ENGINEERING_TECHNOLOGY = "engineering_technology"
    MEDICAL_PHARMACEUTICAL = "medical_pharmaceutical"
    AGRICULTURAL = "agricultural"
    SOCIAL_SCIENCES = "social_sciences"
    HUMANITIES = "humanities"


class OrganisationKind(StrEnum):
    """Kind of organisation."""

    GOVERNMENT_AGENCY = "government_agency"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    ENTERPRISE = "enterprise"
    HOSPITAL = "hospital"
    OTHER = "other"


class Degree(StrEnum):
    """Highest academic degree."""

    BACHELOR = "bachelor"
    ENGINEER = "engineer"
    MASTER = "master"
    DOCTOR = "doctor"
    DOCTOR_OF_SCIENCE = "doctor_of_science"


class AcademicTitle(StrEnum):
    """Academic title awarded by the State Council for Professorship."""

    ASSOCIATE_PROFESSOR = "associate_professor"
    PROFESSOR = "professor"


class Stage(StrEnum):
    """The five steps of the procedure; the values are the step ids used everywhere."""

    TASK_LIST = "task-list"
    SELECTION = "selection"
    IMPLEMENTATION = "implementation"
    ACCEPTANCE = "acceptance"
    REGISTRATION = "registration"


class ProposalStatus(StrEnum):
    """Where a proposal stands in step 1."""

    SUBMITTED = "submitted"
    SCREENED_IN = "screened_in"
    REJECTED = "rejected"
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class TaskKind(StrEnum):
    """Kind of S&T task."""

    RESEARCH_TOPIC = "research_topic"
    PILOT_PROJECT = "pilot_project"
    SCHEME = "scheme"


class Method(StrEnum):
    """How the host organisation of a task is chosen."""

    SELECTION = "selection"
    DIRECT = "direct"


class TaskStatus(StrEnum):
    """Life-cycle status of a task (the stage says which step; the status says how it goes)."""

    APPROVED = "approved"
    SELECTING = "selecting"
    CONTRACTED = "contracted"
    IN_PROGRESS = "in_progress"
    UNDER_ACCEPTANCE = "under_acceptance"
    ACCEPTED = "accepted"
    FAILED = "failed"
    REGISTERED = "registered"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class TaskMemberRole(StrEnum):
    """A person's part in carrying out a task."""

    PRINCIPAL_INVESTIGATOR = "principal_investigator"
    SECRETARY = "secretary"
    MEMBER = "member"


class FundingSource(StrEnum):
    """Where the money of a task comes from."""

    STATE_BUDGET = "state_budget"
    COUNTERPART = "counterpart"
    OTHER = "other"


class CallStatus(StrEnum):
    """Status of a call for applications."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ApplicationStatus(StrEnum):
    """Status of an application for a task."""

    SUBMITTED = "submitted"
    VALID = "valid"
    INVALID = "invalid"
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    SELECTED = "selected"
    WITHDRAWN = "withdrawn"


class DocumentKind(StrEnum):
    """Kind of a dossier document; dossier forms carry their official form codes."""

    APPLICATION_FORM = "B1-1-DON"
    PROPOSAL_RESEARCH = "B1-2a"
    PROPOSAL_PILOT = "B1-2b"
    PROPOSAL_SCHEME = "B1-2c"
    PROPOSAL_PROGRAMME = "B1-2d"
    ORGANISATION_PROFILE = "B1-3-LLTC"
    CURRICULUM_VITAE = "B1-4-LLCN"
    PARTNER_CONFIRMATION = "B1-5-PHNC"
    REGISTRATION_FORM = "mau-5"
    FINAL_REPORT = "final_report"
    SUMMARY_REPORT = "summary_report"
    RESULT_DATA = "result_data"
    COUNCIL_MINUTES = "council_minutes"
    AUTHORS_AGREEMENT = "authors_agreement"
    TECHNOLOGY_DESCRIPTION = "mau-8"
    SELF_ASSESSMENT = "self_assessment"
    PROGRESS_REPORT = "progress_report"
    CONTRACT = "contract"
    DECISION = "decision"
    CERTIFICATE = "certificate"
    OTHER = "other"


class CouncilType(StrEnum):
    """Which step a council serves."""

    ADVISORY = "advisory"
    SELECTION = "selection"
    ACCEPTANCE = "acceptance"
    # the budget appraisal team (tổ thẩm định kinh phí) of a selection or direct assignment
    APPRAISAL = "appraisal"


class CouncilRole(StrEnum):
    """Role of a member on a council (the administrative secretary is staff, not a member)."""

    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    REVIEWER = "reviewer"
    MEMBER = "member"
    SECRETARY = "secretary"


class CouncilStatus(StrEnum):
    """Status of a council."""

    FORMING = "forming"
    CONVENED = "convened"
    CONCLUDED = "concluded"
    DISSOLVED = "dissolved"


class MeetingMode(StrEnum):
    """How a council meets (TT 20/2023 Đ10.1; TT 06/2023 Đ11.1)."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    MIXED = "mixed"


class CountingRole(StrEnum):
    """A member's place on the vote-counting committee (ban kiểm phiếu)."""

    HEAD = "head"
    MEMBER = "member"


class MeetingStatus(StrEnum):
    """Status of a council meeting."""

    SCHEDULED = "scheduled"
    HELD = "held"
    NO_QUORUM = "no_quorum"
    CANCELLED = "cancelled"


class ReviewOpinion(StrEnum):
    """A member's written conclusion."""

    APPROVE = "approve"
    APPROVE_WITH_CHANGES = "approve_with_changes"
    REJECT = "reject"


class ContractStatus(StrEnum):
    """Status of a contract."""

    DRAFT = "draft"
    SIGNED = "signed"
    LIQUIDATED = "liquidated"
    TERMINATED = "terminated"


class InspectionConclusion(StrEnum):
    """What an inspection found."""

    ON_TRACK = "on_track"
    BEHIND = "behind"
    SERIOUSLY_BEHIND = "seriously_behind"
    VIOLATION = "violation"


class InspectionKind(StrEnum):
    """A periodic inspection (2014 edition) or the yearly evaluation deciding further funding
    (2025 edition)."""

    INSPECTION = "inspection"
    ANNUAL_EVALUATION = "annual_evaluation"


class DecisionKind(StrEnum):
    """Kinds of decisions (quyết định) the system records with their number and signer."""

    LIST_APPROVAL = "list_approval"
    SELECTION_APPROVAL = "selection_approval"
    SELECTION_CANCELLATION = "selection_cancellation"
    SUSPENSION = "suspension"
    TERMINATION = "termination"
    RECOGNITION = "recognition"


class Issuer(StrEnum):
    """Who signs the province's decisions: the People's Committee, or the Department it
    delegated to (NĐ 08/2014 Đ27.2)."""

    PEOPLE_COMMITTEE = "people_committee"
    DEPARTMENT = "department"


class RestrictionReason(StrEnum):
    """Why an organisation or a person may not apply for new tasks for a while."""

    FAILED_ACCEPTANCE = "failed_acceptance"
    REFUND_OUTSTANDING = "refund_outstanding"
    TERMINATED = "terminated"


class ChangeKind(StrEnum):
    """What a change request asks to change."""

    EXTENSION = "extension"
    BUDGET = "budget"
    PERSONNEL = "personnel"
    CONTENT = "content"


class DecisionStatus(StrEnum):
    """Status of something waiting for a decision."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AcceptanceLevel(StrEnum):
    """The two rounds of acceptance: the host's own, then the Department's."""

    BASE = "base"
    DEPARTMENT = "department"


class DossierStatus(StrEnum):
    """Status of an acceptance dossier."""

    SUBMITTED = "submitted"
    VALID = "valid"
    INVALID = "invalid"


class Rating(StrEnum):
    """Acceptance rating of a task (TT 11/2014)."""

    EXCELLENT = "excellent"
    PASS = "pass"
    FAIL = "fail"


class ResultStatus(StrEnum):
    """How far a task's results have come (the public task database filters on it)."""

    NONE = "none"
    ACCEPTED = "accepted"
    FAILED = "failed"
    REGISTERED = "registered"
    PUBLISHED = "published"
