"""E-mail notifications through an SMTP server (in tests: a real local aiosmtpd server)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid


@dataclass(frozen=True)
class Mailer:
    """Sends plain-text, UTF-8 e-mails (Vietnamese first) through one SMTP server."""

    host: str
    port: int
    sender: str

    def send(self, to: list[str], subject: str, body: str, *, idempotency_key: str) -> str:
        """Send one e-mail; the Message-ID derives from idempotency_key so a re-sent job's
        mail can be recognised (and de-duplicated) by the receiving side."""
        if not to:
            raise ValueError("an e-mail needs at least one recipient")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(idstring=idempotency_key, domain="khcn.local")
        message.set_content(body, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)
        return str(message["Message-ID"])
