"""CSV downloads: the filtered task list (streamed) and each statistic.

Files are UTF-8 with a byte order mark, so spreadsheet programs read the Vietnamese letters.
Column names are in the request's language; values are the labels people read, plus the codes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from models.labels import label
from models.services.catalogue import TaskRow, check_filters, export_tasks
from models.services.statistics import Statistic
from portal.deps import translator
from portal.public.params import TaskQuery, language

BOM = "\ufeff"


def attachment(filename: str) -> str:
    """A Content-Disposition value that keeps a Vietnamese file name (RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _lines(rows: Iterable[list[Any]], every: int = 500) -> Iterator[str]:
    """CSV text in chunks of `every` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def tasks_csv(request: Request, params: TaskQuery) -> StreamingResponse:
    """The tasks a search finds, every one of them, as a streamed CSV file."""
    _ = translator(request).gettext
    lang = language(request)
    base = request.app.state.config.base_url.rstrip("/")
    # One read transaction for the whole file: opened here, so that a refused search is a
    # 400 before anything is sent, and closed when the last row is out (or the client left).
    session = request.app.state.read_sessions()
    transaction = session.begin()
    try:
        query = params.search()
        filters = params.filters()
        check_filters(session=session, filters=filters)
    except Exception:
        transaction.rollback()
        session.close()
        raise

    header = [
        _("Code"),
        _("Task title"),
        _("Year"),
        _("Field"),
        _("Kind"),
        _("Method"),
        _("Step"),
        _("Status"),
        _("Results"),
        _("Host organisation"),
        _("Principal investigator"),
        _("Total budget (VND)"),
        _("Start"),
        _("End"),
        _("Address"),
    ]

    def row(task: TaskRow) -> list[Any]:
        return [
            task.code,
            task.title,
            task.year,
            label(task.field, lang),
            label(task.kind, lang),
            label(task.method, lang),
            label(task.stage, lang),
            label(task.status, lang),
            label(task.result, lang),
            task.host.name if task.host else "",
            f"{task.leader.honorific} {task.leader.name}".strip() if task.leader else "",
            task.total_budget if task.total_budget is not None else "",
            _day(task.start_date),
            _day(task.end_date),
            f"{base}/tasks/{quote(task.code)}",
        ]

    def content() -> Iterator[str]:
        try:
            rows = export_tasks(session=session, query=query, filters=filters, sort=params.order())
            yield from _lines(_chain(header, rows, row))
        finally:
            transaction.rollback()
            session.close()

    return StreamingResponse(
        content(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment("khcn-nhiem-vu.csv")},
    )


def _chain(header: list[str], rows: Iterable[TaskRow], row: Any) -> Iterator[list[Any]]:
    yield header
    for task in rows:
        yield row(task)


def statistic_csv(request: Request, stat: Statistic) -> Response:
    """One statistic's table as CSV."""
    _ = translator(request).gettext
    header = [_("Code"), _("Group"), _("Number of tasks"), _("Total budget (VND)")]
    rows = [[r.key, r.label, r.tasks, r.funding] for r in stat.rows]
    rows.append(["", _("Total"), stat.total_tasks, stat.total_funding])
    name = f"khcn-thong-ke-{stat.dimension.value}"
    if stat.year is not None:
        name += f"-{stat.year}"
    return Response(
        "".join(_lines([header, *rows])),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(name + ".csv")},
    )
