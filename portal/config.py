"""What the portal needs to know, built by khcn from its settings and handed over."""

from __future__ import annotations

from dataclasses import dataclass


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
    # the document store's root (the public documents of published results are served from it)
    documents_dir: str = "var/documents"
    # how long each process keeps a computed statistic (0: compute on every view)
    statistics_cache_seconds: int = 60

    @property
    def department(self) -> str:
        """The Department's name as the header shows it."""
        return f"Sở Khoa học và Công nghệ {self.province}"
