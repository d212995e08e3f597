"""The one settings object of khcn, read once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from portal.config import PortalConfig
    from workers.runtime import WorkerConfig

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings from the environment (prefix ``KHCN_``) with development defaults."""

    model_config = SettingsConfigDict(env_prefix="KHCN_", extra="ignore")

    env: str = "development"
    engine_address: str = "127.0.0.1:26500"
    engine_database: str = f"sqlite:///{ROOT / 'var' / 'engine.sqlite3'}"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'khcn.sqlite3'}"
    # pyzeebe's own variable name, so workers and the portal follow the usual Zeebe setup
    zeebe_address: str = Field(default="127.0.0.1:26500", validation_alias="ZEEBE_ADDRESS")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "Sở KH&CN <khcn@localhost>"
    # the province whose Department issues the documents (headers of decisions, contracts)
    province: str = "Thừa Thiên Huế"
    documents_dir: str = str(ROOT / "var" / "documents")
    # development only: where `khcn run` keeps the mail it catches instead of sending it
    mail_dir: str = str(ROOT / "var" / "mail")
    # the portal: where `khcn run` / `khcn portal` serve it, and the address people use
    portal_host: str = "127.0.0.1"
    portal_port: int = 8000
    # empty: http://{portal_host}:{portal_port}
    base_url: str = ""

    @property
    def portal_url(self) -> str:
        """The address people open the portal at."""
        return self.base_url or f"http://{self.portal_host}:{self.portal_port}"

    def portal(self) -> PortalConfig:
        """The portal's configuration, handed over (the portal never reads settings)."""
        from portal.config import PortalConfig

        return PortalConfig(
            env=self.env,
            province=self.province,
            base_url=self.portal_url,
            zeebe_address=self.zeebe_address,
            documents_dir=self.documents_dir,
        )

    def workers(self) -> WorkerConfig:
        """The workers' configuration: the part of the settings they need, handed over."""
        from workers.runtime import WorkerConfig

        return WorkerConfig(
            zeebe_address=self.zeebe_address,
            database_url=self.database_url,
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port,
            mail_from=self.mail_from,
            documents_dir=self.documents_dir,
            province=self.province,
        )


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings()
