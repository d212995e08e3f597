"""Fixtures of the khcn command tests: the whole back end (tests/support/system.py)."""

from tests.support.system import domain_url, smtp_inbox, system

__all__ = ["domain_url", "smtp_inbox", "system"]
