"""The one settings object of khcn, read once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.editions import DEFAULT_REGULATIONS, Regulations, RulesFileError, load_overrides

if TYPE_CHECKING:
    from portal.config import PortalConfig
    from workers.runtime import WorkerConfig

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """The settings (or the province's rules file) are invalid; the message names the field."""


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
    # The province whose Department issues the documents, as they name it: Huế has been a
    # centrally-run city since 01/01/2025 (NQ 175/2024/QH15).
    province: str = "Thành phố Huế"
    # The province's changes to the numbers of the regulation editions (TOML; see README):
    # validated at start-up, which refuses an invalid file naming the field.
    rules_file: Path | None = None
    # Who signs lists, selections, results and contracts, when the province decided it
    # (NĐ 08/2014 Đ27.2): the People's Committee chairman, or the Department by delegation.
    # Overrides the editions' (and the rules file's) signer.
    signer: Literal["people_committee", "department"] | None = None
    documents_dir: str = str(ROOT / "var" / "documents")
    # development only: where `khcn run` keeps the mail it catches instead of sending it
    mail_dir: str = str(ROOT / "var" / "mail")
    # the portal: where `khcn run` / `khcn portal` serve it, and the address people use
    portal_host: str = "127.0.0.1"
    portal_port: int = 8000
    # empty: http://{portal_host}:{portal_port}
    base_url: str = ""
    # signs the portal's CSRF tokens; the development default is refused in production
    secret_key: str = "development-only-secret-change-me"
    upload_max_mb: int = 20
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8

    @property
    def portal_url(self) -> str:
        """The address people open the portal at."""
        return self.base_url or f"http://{self.portal_host}:{self.portal_port}"

    def portal(self) -> PortalConfig:
        """The portal's configuration, handed over (the portal never reads settings)."""
        from portal.config import DEVELOPMENT_SECRET, PortalConfig

        if self.env != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "KHCN_SECRET_KEY is the development default: set a long random value "
                f"outside development (KHCN_ENV={self.env})"
            )
        return PortalConfig(
            env=self.env,
            province=self.province,
            base_url=self.portal_url,
            zeebe_address=self.zeebe_address,
            secret_key=self.secret_key,
            documents_dir=Path(self.documents_dir),
            bpmn_dir=ROOT / "bpmn",
            max_upload_bytes=self.upload_max_mb * 1024 * 1024,
            session_idle_minutes=self.session_idle_minutes,
            session_absolute_hours=self.session_absolute_hours,
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port,
            mail_from=self.mail_from,
            regulations=self.regulations(),
        )

    @model_validator(mode="after")
    def _rules_file_is_valid(self) -> Settings:
        self.regulations()  # load and validate it now: start-up refuses a broken file
        return self

    def regulations(self) -> Regulations:
        """The regulation editions with the province's numbers."""
        return _regulations(self.rules_file, self.signer)

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
            regulations=self.regulations(),
        )


# Parsed rules files by (path, modification time, signer): settings are read once per process,
# but validated and asked for the regulations more than once.
_LOADED: dict[tuple[str, float, str | None], Regulations] = {}


def _regulations(path: Path | None, signer: str | None) -> Regulations:
    key = (str(path), path.stat().st_mtime if path and path.exists() else 0.0, signer)
    if key not in _LOADED:
        try:
            regulations = load_overrides(path) if path is not None else DEFAULT_REGULATIONS
        except RulesFileError as err:
            raise ValueError(f"KHCN_RULES_FILE: {err}") from None
        if signer is not None:
            regulations = regulations.with_signer(signer)  # type: ignore[arg-type]
        _LOADED[key] = regulations
    return _LOADED[key]


def load_settings() -> Settings:
    """Read the settings from the environment; SettingsError names what is wrong."""
    try:
        return Settings()
    except ValidationError as err:
        lines = []
        for error in err.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {message}" if where else message)
        raise SettingsError(
            "Thiết lập không hợp lệ / invalid settings:\n  " + "\n  ".join(lines)
        ) from None
