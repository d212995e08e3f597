"""Certificates issued from concurrent transactions (separate connections, real commits)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade
from models.registration import ResultRegistration
from models.services import registration
from tests.conftest import PG_URL
from tests.models import factories as f

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="row locks need PostgreSQL (KHCN_TEST_DATABASE_URL)"
)


@pytest.fixture(scope="module")
def pg_engine(make_database_url) -> Iterator[Engine]:
    """A database of our own: these tests commit."""
    url = make_database_url("postgresql")
    upgrade(url)
    engine = make_engine(url, pool_size=10)
    yield engine
    engine.dispose()


def registrations(engine: Engine, count: int) -> list[int]:
    """Committed registrations of accepted tasks."""
    with make_sessionmaker(engine).begin() as session:
        ids = []
        for _ in range(count):
            task = f.accepted_task(session)
            ids.append(
                registration.register_result(
                    session=session, task_id=task.id, title="Kết quả", submitted_on=date(2027, 6, 1)
                ).id
            )
        return ids


def in_threads(engine: Engine, jobs: list[Callable[[Session], str | None]]) -> list[str | None]:
    """Run each job in its own thread and transaction, all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[str | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            with make_sessionmaker(engine).begin() as session:
                results[i] = jobs[i](session)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def issue(registration_id: int) -> Callable[[Session], str | None]:
    """A job issuing the certificate of a registration."""

    def job(session: Session) -> str | None:
        return registration.issue_certificate(
            session=session, registration_id=registration_id, issued_on=date(2029, 3, 1)
        ).certificate_number

    return job


def test_concurrent_issues_draw_distinct_numbers(pg_engine: Engine) -> None:
    ids = registrations(pg_engine, 6)
    numbers = in_threads(pg_engine, [issue(i) for i in ids])
    assert len(set(numbers)) == 6
    assert sorted(numbers) == [f"{n:03d}/2029/GCN-KHCN" for n in range(1, 7)]  # type: ignore[type-var]


def test_the_same_job_delivered_twice_at_once_gets_one_number(pg_engine: Engine) -> None:
    (only,) = registrations(pg_engine, 1)
    numbers = in_threads(pg_engine, [issue(only)] * 4)
    assert len(set(numbers)) == 1
    with make_sessionmaker(pg_engine)() as session:
        stored = session.get(ResultRegistration, only)
        assert stored is not None and stored.certificate_number == numbers[0]
