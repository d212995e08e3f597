"""Councils (hội đồng) of every step: members, meetings, attendance, reviews, scores, votes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import (
    CouncilRole,
    CouncilStatus,
    CouncilType,
    CountingRole,
    Field,
    MeetingMode,
    MeetingStatus,
    ReviewOpinion,
)
from models.people import Person


class Council(IdMixin, TimestampMixin, Base):
    """A council set up by a numbered decision: advisory, selection, acceptance, or the budget
    appraisal team. The system proposes its members; staff confirm them (``established_on``)."""

    __tablename__ = "councils"

    type: Mapped[CouncilType] = mapped_column(enum_type(CouncilType), index=True)
    name: Mapped[str] = mapped_column(String(500))
    decision_number: Mapped[str | None] = mapped_column(String(50))
    established_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[CouncilStatus] = mapped_column(
        enum_type(CouncilStatus), default=CouncilStatus.FORMING
    )
    # A selection or acceptance council serves one task; an advisory council a batch of
    # proposals of one field and year (its items).
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    field: Mapped[Field | None] = mapped_column(enum_type(Field))
    year: Mapped[int | None] = mapped_column(Integer)
    # The regulation edition whose rules the council follows.
    edition: Mapped[str] = mapped_column(String(10), server_default=text("'2014'"))
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id"), index=True)
    # Staff, not a member: keeps the minutes, does not vote.
    administrative_secretary_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))

    members: Mapped[list[CouncilMember]] = relationship(
        back_populates="council", cascade="all, delete-orphan", order_by="CouncilMember.id"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="council", cascade="all, delete-orphan", order_by="Meeting.id"
    )
    items: Mapped[list[CouncilItem]] = relationship(
        back_populates="council", cascade="all, delete-orphan", order_by="CouncilItem.id"
    )


class CouncilItem(IdMixin, Base):
    """What a council deliberates on: a task (a proposal's, or one at acceptance), or one
    application for a task; each item has its reviewers (TT 06/2023 Đ10.2: two per proposal)."""

    __tablename__ = "council_items"
    __table_args__ = (UniqueConstraint("council_id", "task_id", "application_id"),)

    council_id: Mapped[int] = mapped_column(BigId, ForeignKey("councils.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("applications.id"), index=True
    )

    council: Mapped[Council] = relationship(back_populates="items")
    reviewers: Mapped[list[ItemReviewer]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemReviewer.id"
    )


class ItemReviewer(IdMixin, Base):
    """A member named reviewer (ủy viên phản biện) of one item."""

    __tablename__ = "council_item_reviewers"
    __table_args__ = (UniqueConstraint("item_id", "member_id"),)

    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("council_items.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council_members.id", ondelete="CASCADE")
    )

    item: Mapped[CouncilItem] = relationship(back_populates="reviewers")
    member: Mapped[CouncilMember] = relationship()


class CouncilMember(IdMixin, TimestampMixin, Base):
    """A person appointed to a council in a role."""

    __tablename__ = "council_members"
    __table_args__ = (UniqueConstraint("council_id", "person_id"),)

    council_id: Mapped[int] = mapped_column(BigId, ForeignKey("councils.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    role: Mapped[CouncilRole] = mapped_column(enum_type(CouncilRole))
    # An acceptance council's member from the ordering or using side (TT 11/2014 Đ9.3a).
    user_side: Mapped[bool] = mapped_column(Boolean, default=False)

    council: Mapped[Council] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()


class Meeting(IdMixin, TimestampMixin, Base):
    """A council meeting; one without quorum is recorded and another one scheduled."""

    __tablename__ = "meetings"

    council_id: Mapped[int] = mapped_column(BigId, ForeignKey("councils.id", ondelete="CASCADE"))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(300), default="")
    mode: Mapped[MeetingMode] = mapped_column(enum_type(MeetingMode), default=MeetingMode.IN_PERSON)
    status: Mapped[MeetingStatus] = mapped_column(
        enum_type(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    # The day the members got the documents (the lead time counts from it).
    documents_sent_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    council: Mapped[Council] = relationship(back_populates="meetings")
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )


class Attendance(IdMixin, Base):
    """Whether a member was present at a meeting."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    meeting_id: Mapped[int] = mapped_column(BigId, ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council_members.id", ondelete="CASCADE")
    )
    present: Mapped[bool] = mapped_column(Boolean)
    # Elected to the vote-counting committee at this meeting (TT 20/2023 Đ11.5đ).
    counting_role: Mapped[CountingRole | None] = mapped_column(enum_type(CountingRole))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[CouncilMember] = relationship()


class Review(IdMixin, TimestampMixin, Base):
    """A member's written review of a proposal, an application or a task's results."""

    __tablename__ = "reviews"

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council_members.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("proposals.id"))
    application_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("applications.id"))
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"))
    opinion: Mapped[ReviewOpinion] = mapped_column(enum_type(ReviewOpinion))
    comments: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    submitted_on: Mapped[date] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean, default=True)

    member: Mapped[CouncilMember] = relationship()


class ScoreSheet(IdMixin, TimestampMixin, Base):
    """One member's secret scoring ballot for one application, cast at the meeting (phiếu
    đánh giá chấm điểm, TT 20/2023 Đ11.5d)."""

    __tablename__ = "score_sheets"
    __table_args__ = (UniqueConstraint("member_id", "application_id"),)

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council_members.id", ondelete="CASCADE")
    )
    application_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set by the count: more than 20 % from the mean (TT 20/2023 Đ11.5d).
    void: Mapped[bool] = mapped_column(Boolean, default=False)

    member: Mapped[CouncilMember] = relationship()
    scores: Mapped[list[Score]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", order_by="Score.criterion"
    )

    def as_mapping(self) -> dict[str, float]:
        """Criterion code → points given."""
        return {s.criterion: float(s.points) for s in self.scores}


class Score(IdMixin, Base):
    """Points given to one criterion group on a score sheet."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion"),)

    sheet_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_sheets.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(50))
    points: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))
    max_points: Mapped[float] = mapped_column(Numeric(5, 2, asdecimal=False))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class Vote(IdMixin, TimestampMixin, Base):
    """A member's secret ballot on a proposal at an advisory council meeting (phiếu đánh giá,
    "Đạt yêu cầu" or not, TT 06/2023 Đ12.6)."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", "proposal_id"),)

    meeting_id: Mapped[int] = mapped_column(BigId, ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council_members.id", ondelete="CASCADE")
    )
    proposal_id: Mapped[int] = mapped_column(BigId, ForeignKey("proposals.id"), index=True)
    in_favour: Mapped[bool] = mapped_column(Boolean)

    member: Mapped[CouncilMember] = relationship()
