"""What the portal needs to know, built by khcn from its settings and handed over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.editions import DEFAULT_REGULATIONS, Regulations

# The development secret: khcn refuses it outside development (khcn/settings.py).
DEVELOPMENT_SECRET = "development-only-secret-change-me"


@dataclass(frozen=True)
class PortalConfig:
    """The portal's configuration (the portal never reads settings itself)."""

    # "development" allows plain-http cookies on loopback and shows tracebacks in the log only
    env: str = "development"
    # the province whose Department runs the portal, as documents name it ("thành phố Huế")
    province: str = "thành phố Huế"
    # the address people reach the portal at (links in mails, canonical URLs)
    base_url: str = "http://127.0.0.1:8000"
    # the engine's gateway, for the parts of the portal that talk to it (the inbox)
    zeebe_address: str = "127.0.0.1:26500"
    # signs the CSRF token of visitors not signed in (double-submit cookie)
    secret_key: str = DEVELOPMENT_SECRET
    # uploads go to the document store, outside the web root, under their SHA-256
    documents_dir: Path = Path("var/documents")
    # bpmn/: the diagrams (which user task links which form) and bpmn/forms (the forms)
    bpmn_dir: Path = Path(__file__).resolve().parent.parent / "bpmn"
    max_upload_bytes: int = 20 * 1024 * 1024
    # sessions (OWASP ASVS 7.3.1 / 7.3.2): idle and absolute timeouts
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8
    # sign-in throttling: failures allowed per account / per address within the window
    sign_in_window_minutes: int = 15
    sign_in_failures_per_account: int = 5
    sign_in_failures_per_address: int = 20
    # mail to people a task is assigned to
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "Sở KH&CN <khcn@localhost>"
    # user-task jobs are held this long by the inbox; the inbox extends them while they wait
    inbox_job_timeout_ms: int = 24 * 3600 * 1000
    # a submission the engine has not acknowledged this long is sent again by the inbox worker
    completion_retry_seconds: float = 30.0
    # the regulation editions with the province's numbers (forms' services read them)
    regulations: Regulations = DEFAULT_REGULATIONS
    # how long each process keeps a computed statistic (0: compute on every view)
    statistics_cache_seconds: int = 60
    # "engine": submissions are dated by the engine's clock (an engine on a controlled clock,
    # as in tests, where the workers read it too); "wall": the host's clock (production)
    clock: str = "wall"

    @property
    def department(self) -> str:
        """The Department's name as the header shows it."""
        province = self.province
        # "Thành phố Huế" on its own, "Sở ... thành phố Huế" inside a name
        for prefix in ("Thành phố ", "Tỉnh "):
            if province.startswith(prefix):
                province = prefix.lower() + province.removeprefix(prefix)
        return f"Sở Khoa học và Công nghệ {province}"

    @property
    def development(self) -> bool:
        """Whether this is a development system (demo accounts, plain-http cookies on loopback)."""
        return self.env == "development"
