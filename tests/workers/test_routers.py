"""The workers cover the diagrams: every job type a diagram uses has exactly one handler, and
no handler waits for a job type no diagram uses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.bpmn.diagrams import job_types
from workers.runtime import WorkerConfig, feature_routers, make_deps


def test_every_job_type_of_the_diagrams_has_one_handler(tmp_path: Path) -> None:
    config = WorkerConfig(
        zeebe_address="127.0.0.1:1",
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        smtp_host="127.0.0.1",
        smtp_port=1,
        mail_from="khcn@example.vn",
        documents_dir=str(tmp_path),
        province="Thành phố Huế",
    )
    deps = make_deps(config)
    handled = Counter(t.type for factory in feature_routers() for t in factory(deps).tasks)
    assert [t for t, n in handled.items() if n > 1] == []
    assert set(handled) == job_types()
