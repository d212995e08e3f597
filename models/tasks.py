"""S&T tasks (nhiệm vụ KH&CN): the thing that travels through the five steps."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, IdMixin, TimestampMixin, enum_type
from models.enums import Field, FundingSource, Method, Stage, TaskKind, TaskMemberRole, TaskStatus
from models.people import Organisation, Person
from models.proposals import Proposal


class Task(IdMixin, TimestampMixin, Base):
    """An approved S&T task: research topic, pilot project or scheme."""

    __tablename__ = "tasks"

    code: Mapped[str] = mapped_column(String(50), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(500))
    field: Mapped[Field] = mapped_column(enum_type(Field), index=True)
    kind: Mapped[TaskKind] = mapped_column(enum_type(TaskKind))
    method: Mapped[Method] = mapped_column(enum_type(Method))
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), default=Stage.TASK_LIST, index=True)
    status: Mapped[TaskStatus] = mapped_column(
        enum_type(TaskStatus), default=TaskStatus.APPROVED, index=True
    )
    objectives: Mapped[str] = mapped_column(Text, default="")
    expected_results: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("proposals.id"), unique=True)
    # Known once selection or direct assignment is decided.
    host_organisation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organisations.id"), index=True
    )
    principal_investigator_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id"), index=True
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # The regulation edition the task follows (models/editions.py): the one in force when its
    # list was approved; provisional (the edition of the day) until then.
    edition: Mapped[str] = mapped_column(String(10), server_default=text("'2014'"))
    edition_bound_on: Mapped[date | None] = mapped_column(Date)
    # The BPMN process instance that carries this task, so operators can find one from the other.
    process_instance_key: Mapped[int | None] = mapped_column(BigInteger, index=True)

    proposal: Mapped[Proposal | None] = relationship()
    host_organisation: Mapped[Organisation | None] = relationship()
    principal_investigator: Mapped[Person | None] = relationship()
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="task", cascade="all, delete-orphan"
    )
    members: Mapped[list[TaskMember]] = relationship(
        back_populates="task", cascade="all, delete-orphan"
    )

    @property
    def total_budget(self) -> int:
        """The budget of all sources together, in dong."""
        return sum(line.amount for line in self.budget_lines)


class BudgetLine(IdMixin, Base):
    """The budget of a task from one funding source, in dong."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("task_id", "source"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    source: Mapped[FundingSource] = mapped_column(enum_type(FundingSource))
    amount: Mapped[int] = mapped_column(BigInteger)

    task: Mapped[Task] = relationship(back_populates="budget_lines")


class TaskMember(IdMixin, Base):
    """A person registered to carry out a task."""

    __tablename__ = "task_members"
    __table_args__ = (UniqueConstraint("task_id", "person_id"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("tasks.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    role: Mapped[TaskMemberRole] = mapped_column(enum_type(TaskMemberRole))

    task: Mapped[Task] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()
