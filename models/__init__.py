"""The domain: SQLAlchemy models, services and the regulation rules (knows nothing of BPMN)."""

from models import (  # noqa: F401  (imported so that Base.metadata holds every table)
    acceptance,
    accounts,
    attachments,
    audit,
    calls,
    contracts,
    councils,
    decisions,
    documents,
    filings,
    implementation,
    inbox,
    people,
    profiles,
    proposals,
    registration,
    search,
    tasks,
    users,
)
from models.base import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
