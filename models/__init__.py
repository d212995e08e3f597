"""The domain: SQLAlchemy models, services and the regulation rules (knows nothing of BPMN)."""

from models import (  # noqa: F401  (imported so that Base.metadata holds every table)
    acceptance,
    audit,
    calls,
    contracts,
    councils,
    documents,
    implementation,
    people,
    proposals,
    registration,
    search,
    tasks,
    users,
)
from models.base import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
