"""Mails go through a real local SMTP server (aiosmtpd) and arrive intact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.support.engine_process import free_port
from tests.support.system import Inbox
from workers.notifications import Mailer


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_mail_arrives_with_vietnamese_subject_and_body(smtp) -> None:
    inbox, port = smtp
    mailer = Mailer("127.0.0.1", port, "Sở KH&CN <khcn@localhost>")
    mailer.send(
        ["nha.khoa.hoc@example.org"],
        "Hồ sơ đã được tiếp nhận",
        "Kính gửi TS. Nguyễn Văn An,\nHồ sơ ĐT-2026-01 đã được tiếp nhận.",
        idempotency_key="job-1",
    )
    [message] = inbox.messages
    assert message["Subject"] == "Hồ sơ đã được tiếp nhận"
    assert message["To"] == "nha.khoa.hoc@example.org"
    assert "ĐT-2026-01" in message.get_content()


def test_the_same_job_gives_the_same_message_id(smtp) -> None:
    inbox, port = smtp
    mailer = Mailer("127.0.0.1", port, "khcn@localhost")
    first = mailer.send(["a@example.org"], "s", "b", idempotency_key="job-7")
    second = mailer.send(["a@example.org"], "s", "b", idempotency_key="job-7")
    assert first.split("@")[0].split(".")[-1] == second.split("@")[0].split(".")[-1] == "job-7"
    assert len(inbox.messages) == 2


def test_a_mail_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="recipient"):
        Mailer("127.0.0.1", 1, "x@localhost").send([], "s", "b", idempotency_key="k")


def test_an_unreachable_server_is_an_error_not_a_silent_loss() -> None:
    mailer = Mailer("127.0.0.1", free_port(), "x@localhost")
    with pytest.raises(OSError):
        mailer.send(["a@example.org"], "s", "b", idempotency_key="k")
