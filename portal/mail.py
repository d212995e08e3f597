"""Mail from the portal (a task assigned to someone), through the SMTP server of the settings."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

log = logging.getLogger("portal.mail")


@dataclass(frozen=True)
class PortalMail:
    """Plain-text UTF-8 mail, Vietnamese first; a failure is logged, never raised."""

    host: str
    port: int
    sender: str

    def send(self, to: str, name: str, subject: str, body: str, *, key: str) -> bool:
        """Send one mail to one person; the Message-ID carries `key` (de-duplication)."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr((name, to))
        mail["Subject"] = subject
        mail["Message-ID"] = make_msgid(idstring=key, domain="portal.khcn.local")
        mail.set_content(body, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as server:
                server.send_message(mail)
        except (OSError, smtplib.SMTPException):
            log.exception("mail to %s not sent: %s", to, subject)
            return False
        return True
