"""SQL persistence of the engine state: one transaction per command, written before replying.

Rows mirror engine/state.py. A command marks what it touched in a Changes set; flush() then
deletes and re-inserts exactly those rows in one transaction, which keeps the code the same on
SQLite and PostgreSQL and the cost of a step independent of an instance's history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine

from engine.state import Deployed, ElementInstance, Incident, Job, Message, Subscription

SCHEMA_VERSION = 1

metadata = MetaData()

meta = Table(
    "engine_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
definitions = Table(
    "engine_definitions",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("bpmn_process_id", String(255), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("resource_name", Text, nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("xml", LargeBinary, nullable=False),
    Column("deployment_key", BigInteger, nullable=False),
)
element_instances = Table(
    "engine_element_instances",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("process_instance_key", BigInteger, nullable=False, index=True),
    Column("element_id", String(255), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("parent_key", BigInteger),
    Column("state", String(32), nullable=False),
    Column("data", Text, nullable=False),
)
variables = Table(
    "engine_variables",
    metadata,
    Column("scope_key", BigInteger, primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)
jobs = Table(
    "engine_jobs",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("process_instance_key", BigInteger, nullable=False, index=True),
    Column("type", String(255), nullable=False),
    Column("state", String(32), nullable=False),
    Column("data", Text, nullable=False),
)
incidents = Table(
    "engine_incidents",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("process_instance_key", BigInteger, nullable=False, index=True),
    Column("data", Text, nullable=False),
)
subscriptions = Table(
    "engine_subscriptions",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("process_instance_key", BigInteger, nullable=False, index=True),
    Column("data", Text, nullable=False),
)
messages = Table(
    "engine_messages",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("data", Text, nullable=False),
)
finished = Table(
    "engine_finished_instances",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("bpmn_process_id", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("process_definition_key", BigInteger, nullable=False),
    Column("state", String(32), nullable=False),
    Column("parent_key", BigInteger),
    Column("variables", Text, nullable=False),
    Column("ended_at", BigInteger, nullable=False),
)


@dataclass
class Changes:
    """What commands touched: the keys whose rows must be rewritten, and new records."""

    instances: set[int] = field(default_factory=set)
    variables: set[tuple[int, str]] = field(default_factory=set)
    jobs: set[int] = field(default_factory=set)
    incidents: set[int] = field(default_factory=set)
    subscriptions: set[int] = field(default_factory=set)
    messages: set[int] = field(default_factory=set)
    definitions: list[Deployed] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)
    counter: int | None = None

    def merge(self, other: Changes) -> None:
        """Add another command's changes (group commit writes several commands at once)."""
        self.instances |= other.instances
        self.variables |= other.variables
        self.jobs |= other.jobs
        self.incidents |= other.incidents
        self.subscriptions |= other.subscriptions
        self.messages |= other.messages
        self.definitions += other.definitions
        self.finished += other.finished
        if other.counter is not None:
            self.counter = max(self.counter or 0, other.counter)

    def empty(self) -> bool:
        """True when nothing needs writing."""
        return not (
            self.instances
            or self.variables
            or self.jobs
            or self.incidents
            or self.subscriptions
            or self.messages
            or self.definitions
            or self.finished
            or self.counter is not None
        )


def _job_row(job: Job) -> dict[str, Any]:
    data = {k: v for k, v in job.__dict__.items() if k not in ("key", "type", "state")}
    return {
        "key": job.key,
        "process_instance_key": job.process_instance_key,
        "type": job.type,
        "state": job.state,
        "data": json.dumps(data),
    }


def _incident_row(inc: Incident) -> dict[str, Any]:
    data = {k: v for k, v in inc.__dict__.items() if k != "key"}
    return {
        "key": inc.key,
        "process_instance_key": inc.process_instance_key,
        "data": json.dumps(data),
    }


def _keyed_row(obj: Any) -> dict[str, Any]:
    data = {k: v for k, v in obj.__dict__.items() if k != "key"}
    row = {"key": obj.key, "data": json.dumps(data)}
    if isinstance(obj, Subscription):
        row["process_instance_key"] = obj.process_instance_key
    return row


class Store:
    """Reads the whole live state at start and writes each command's changes."""

    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self._check_schema()

    def _check_schema(self) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.name == "schema_version")).first()
            if row is None:
                conn.execute(meta.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))
                conn.execute(meta.insert().values(name="key_counter", value="0"))
            elif int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(
                    f"engine state has schema version {row[0]}, newer than this engine "
                    f"({SCHEMA_VERSION}); upgrade khcn"
                )
            # Older versions would be migrated here, one step per version.

    def load(self) -> dict[str, Any]:
        """Everything live, as plain objects."""
        with self.engine.connect() as conn:
            counter = int(
                conn.execute(select(meta.c.value).where(meta.c.name == "key_counter")).scalar_one()
            )
            deployed = [
                Deployed(
                    r.key,
                    r.kind,
                    r.bpmn_process_id,
                    r.version,
                    r.resource_name,
                    r.checksum,
                    bytes(r.xml),
                    r.deployment_key,
                )
                for r in conn.execute(select(definitions).order_by(definitions.c.key))
            ]
            instances = [
                ElementInstance(
                    r.key,
                    r.process_instance_key,
                    r.element_id,
                    r.kind,
                    r.parent_key,
                    r.state,
                    json.loads(r.data),
                )
                for r in conn.execute(select(element_instances).order_by(element_instances.c.key))
            ]
            values = [
                (r.scope_key, r.name, json.loads(r.value)) for r in conn.execute(select(variables))
            ]
            job_list = [
                Job(key=r.key, type=r.type, state=r.state, **json.loads(r.data))
                for r in conn.execute(select(jobs).order_by(jobs.c.key))
            ]
            incident_list = [
                Incident(key=r.key, **json.loads(r.data))
                for r in conn.execute(select(incidents).order_by(incidents.c.key))
            ]
            subscription_list = [
                Subscription(key=r.key, **json.loads(r.data))
                for r in conn.execute(select(subscriptions).order_by(subscriptions.c.key))
            ]
            message_list = [
                Message(key=r.key, **json.loads(r.data))
                for r in conn.execute(select(messages).order_by(messages.c.key))
            ]
        return {
            "subscriptions": subscription_list,
            "messages": message_list,
            "counter": counter,
            "deployed": deployed,
            "instances": instances,
            "variables": values,
            "jobs": job_list,
            "incidents": incident_list,
        }

    def snapshot(self, changes: Changes, state: Any) -> dict[str, Any]:
        """The rows to write for these changes, read from the live state (on its thread)."""
        instance_rows = [
            {
                "key": i.key,
                "process_instance_key": i.process_instance_key,
                "element_id": i.element_id,
                "kind": i.kind,
                "parent_key": i.parent_key,
                "state": i.state,
                "data": json.dumps(i.data),
            }
            for k in changes.instances
            if (i := state.instances.get(k)) is not None
        ]
        variable_rows = [
            {"scope_key": s, "name": n, "value": json.dumps(state.vars[s][n])}
            for s, n in changes.variables
            if s in state.vars and n in state.vars[s]
        ]
        return {
            "counter": changes.counter,
            "definitions": [
                {
                    "key": d.key,
                    "kind": d.kind,
                    "bpmn_process_id": d.bpmn_process_id,
                    "version": d.version,
                    "resource_name": d.resource_name,
                    "checksum": d.checksum,
                    "xml": d.xml,
                    "deployment_key": d.deployment_key,
                }
                for d in changes.definitions
            ],
            "tables": [
                (element_instances, [{"k": k} for k in changes.instances], instance_rows),
                (
                    jobs,
                    [{"k": k} for k in changes.jobs],
                    [_job_row(j) for k in changes.jobs if (j := state.jobs.get(k)) is not None],
                ),
                (
                    incidents,
                    [{"k": k} for k in changes.incidents],
                    [
                        _incident_row(i)
                        for k in changes.incidents
                        if (i := state.incidents.get(k)) is not None
                    ],
                ),
                (
                    subscriptions,
                    [{"k": k} for k in changes.subscriptions],
                    [
                        _keyed_row(o)
                        for k in changes.subscriptions
                        if (o := state.subscriptions.get(k)) is not None
                    ],
                ),
                (
                    messages,
                    [{"k": k} for k in changes.messages],
                    [
                        _keyed_row(o)
                        for k in changes.messages
                        if (o := state.messages.get(k)) is not None
                    ],
                ),
            ],
            "variables": ([{"s": s, "n": n} for s, n in changes.variables], variable_rows),
            "finished": list(changes.finished),
        }

    def write(self, batch: dict[str, Any]) -> None:
        """Write a snapshot in one transaction (safe to call from a worker thread)."""
        with self.engine.begin() as conn:
            if batch["counter"] is not None:
                conn.execute(
                    meta.update()
                    .where(meta.c.name == "key_counter")
                    .values(value=str(batch["counter"]))
                )
            if batch["definitions"]:
                conn.execute(definitions.insert(), batch["definitions"])
            for table, keys, rows in batch["tables"]:
                if keys:
                    conn.execute(table.delete().where(table.c.key == bindparam("k")), keys)
                if rows:
                    conn.execute(table.insert(), rows)
            keys, rows = batch["variables"]
            if keys:
                conn.execute(
                    variables.delete().where(
                        (variables.c.scope_key == bindparam("s"))
                        & (variables.c.name == bindparam("n"))
                    ),
                    keys,
                )
            if rows:
                conn.execute(variables.insert(), rows)
            if batch["finished"]:
                conn.execute(finished.insert(), batch["finished"])

    def finished_instance(self, key: int) -> dict[str, Any] | None:
        """The record of a completed or terminated process instance."""
        with self.engine.connect() as conn:
            row = conn.execute(select(finished).where(finished.c.key == key)).first()
        if row is None:
            return None
        result = dict(row._mapping)
        result["variables"] = json.loads(result["variables"])
        return result

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL with synchronous=NORMAL survives a killed process (not a power cut) and is fast.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
