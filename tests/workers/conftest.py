"""Fixtures of the workers' end-to-end tests: the whole back end (tests/support/system.py)."""

from tests.support.system import domain_url, smtp_inbox, system

__all__ = ["domain_url", "smtp_inbox", "system"]
