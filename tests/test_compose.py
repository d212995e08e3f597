"""docker-compose.yml describes a deployment that can work: validated here, run elsewhere."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_zeebe_is_a_community_licensed_version() -> None:
    image = _compose()["services"]["zeebe"]["image"]
    assert image.startswith("camunda/zeebe:")
    default = image.split(":-")[1].rstrip("}")
    major, minor = (int(x) for x in default.split(".")[:2])
    # Camunda 8.6+ needs a licence key for self-managed production; 8.5 does not
    assert (major, minor) <= (8, 5)


def test_workers_talk_to_zeebe_and_postgres_by_service_name() -> None:
    services = _compose()["services"]
    env = services["workers"]["environment"]
    assert env["ZEEBE_ADDRESS"] == "zeebe:26500"
    assert "@postgres:5432/" in env["KHCN_DATABASE_URL"]
    assert env["KHCN_ENV"] == "production"
    assert set(services["workers"]["depends_on"]) == {"zeebe", "migrate"}
    assert services["migrate"]["command"] == ["khcn", "db", "upgrade"]


def test_every_service_has_an_image_or_a_build_and_the_build_exists() -> None:
    for name, service in _compose()["services"].items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file()


def test_no_default_database_password() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${KHCN_DB_PASSWORD:?" in text
    assert "POSTGRES_PASSWORD: khcn" not in text


def test_the_image_copies_every_package_it_installs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("engine", "khcn", "models", "workers", "portal", "bpmn"):
        assert f"COPY {package} {package}" in dockerfile
