"""Rejected commands, carrying the gRPC status Zeebe uses for them."""

from __future__ import annotations


class EngineError(Exception):
    """A rejected command; `code` is the gRPC status name Zeebe uses for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(what: str, key: int) -> EngineError:
    """NOT_FOUND for an unknown key, worded as Zeebe words it."""
    return EngineError("NOT_FOUND", f"Expected to find {what} with key '{key}', but none was found")
