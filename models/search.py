"""Accent-free full-text search over tasks and people: one interface, SQLite FTS5 and PostgreSQL.

Folding happens once, here, in Python: `fold` lowers the case, strips every diacritic and turns
đ/Đ into d (Unicode gives đ no decomposition, so neither SQLite's `remove_diacritics` nor a
plain NFD strip would fold it). The index stores folded, tokenised text and queries are folded
the same way, so "nong nghiep" finds "nông nghiệp", "duong" finds "đường" and "Đ" matches "D"
identically on both databases; the databases only match tokens and rank:

- SQLite: an FTS5 table over the index table (external content, kept in step by triggers),
  ranked by bm25 with the title weighing most;
- PostgreSQL: a stored, weighted `tsvector` column (`'simple'` configuration: the text is
  already folded) with a GIN index, ranked by `ts_rank`.

The index rows (`task_search`, `person_search`) are rewritten from the domain tables in the
same transaction as every change that affects them (an `after_flush` hook on every Session), so
search never disagrees with what a page shows. `rebuild` recomputes everything (migrations,
bulk loads). What is searched: a task's code and title (weighted most), its host organisation
and principal investigator, and its objectives, expected results, field and registered results;
a person's name, then their expertise, degree and organisations.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    ForeignKey,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    column,
    delete,
    event,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from models.acceptance import AcceptanceDossier
from models.base import Base, BigId, enum_type
from models.contracts import Contract
from models.enums import AcceptanceLevel, Field, Rating, ResultStatus, Stage
from models.labels import label
from models.people import Affiliation, Expertise, Organisation, Person
from models.proposals import Proposal
from models.publicity import public_task
from models.registration import ResultRegistration
from models.services.errors import InvalidRequestError
from models.tasks import BudgetLine, Task, TaskMember

# A search box, not a document: longer queries are refused with a clear message.
MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 12

_MARKS = re.compile(r"[\u0300-\u036f]")
_TERM = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")
_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str) -> str:
    """Lower-case `text` without diacritics, đ/Đ as d: what the index and queries are made of."""
    return _MARKS.sub("", unicodedata.normalize("NFD", text.translate(_D))).casefold()


def terms(text: str) -> list[str]:
    """The folded words of `text` (letters and digits; punctuation separates)."""
    return _TERM.findall(fold(text))


def document(*parts: str | None) -> str:
    """Folded words of the parts, space-separated: one indexed column."""
    return " ".join(word for part in parts if part for word in terms(part))


# --- queries -------------------------------------------------------------------------------


class InvalidQuery(InvalidRequestError):
    """A search text the portal refuses (too long, too many words)."""


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: the text as typed and its folded terms.

    Every term must match a whole word: "dam pha" finds "đầm phá" and "đầm phá Tam Giang", not
    "đám phát". A Vietnamese word is a syllable people type whole; matching the start of words
    found far more than was meant ("pha" in "phát", "pháp", "phân") and cost GIN lookups.
    """

    text: str
    terms: tuple[str, ...]

    def matches(self, folded_word: str) -> bool:
        """Whether a folded word is one the query finds."""
        return folded_word in self.terms


def parse_query(text: str | None) -> SearchQuery | None:
    """The query of a search box (None when it is blank); refuses texts too long to be one."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQuery(
            "query_too_long",
            f"Từ khóa tìm kiếm dài quá {MAX_QUERY_LENGTH} ký tự.",
            f"The search text is longer than {MAX_QUERY_LENGTH} characters.",
        )
    found = tuple(dict.fromkeys(terms(text)))
    if len(found) > MAX_QUERY_TERMS:
        raise InvalidQuery(
            "query_too_many_terms",
            f"Từ khóa tìm kiếm có quá {MAX_QUERY_TERMS} từ.",
            f"The search text has more than {MAX_QUERY_TERMS} words.",
        )
    return SearchQuery(text=text.strip(), terms=found)


@dataclass(frozen=True)
class Segment:
    """A piece of displayed text; `match` marks the words the query found."""

    text: str
    match: bool = False


# Words repeat (a few thousand syllables make Vietnamese): marking matches folds each once.
_fold_word = lru_cache(maxsize=65_536)(fold)


def highlight(text: str, query: SearchQuery | None) -> list[Segment]:
    """`text` cut into segments, the words matching a query term marked."""
    if not text:
        return []
    if query is None or not query.terms or not any(t in fold(text) for t in query.terms):
        return [Segment(text)]
    segments: list[Segment] = []
    position = 0
    for word in _WORD.finditer(text):
        if query.matches(_fold_word(word.group())):
            if word.start() > position:
                segments.append(Segment(text[position : word.start()]))
            segments.append(Segment(word.group(), True))
            position = word.end()
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def snippet(text: str, query: SearchQuery | None, words: int = 36) -> list[Segment]:
    """About `words` words of `text` around its first match (its start when none), marked."""
    found = list(_WORD.finditer(text or ""))
    if not found:
        return []
    first = 0
    if query is not None and query.terms and any(t in fold(text) for t in query.terms):
        first = next(
            (i for i, word in enumerate(found) if query.matches(_fold_word(word.group()))), 0
        )
    start = max(0, first - words // 3)
    end = min(len(found), start + words)
    piece = text[found[start].start() : found[end - 1].end()]
    segments = highlight(piece, query)
    if start > 0:
        segments.insert(0, Segment("… "))
    if end < len(found):
        segments.append(Segment(" …"))
    return segments


# --- the index tables ----------------------------------------------------------------------


class TaskSearch(Base):
    """A task's folded search text and the derived facts its filters use (kept in step)."""

    __tablename__ = "task_search"

    task_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # The short facts first: a row's texts run long, and SQLite reads a column by walking
    # through the ones before it.
    # The budget of every source together (the contract's value while none is recorded).
    total_budget: Mapped[int | None] = mapped_column(BigInteger, index=True)
    result: Mapped[ResultStatus] = mapped_column(enum_type(ResultStatus), index=True)
    # The folded title, for sorting by title the way a Vietnamese reader expects.
    title_key: Mapped[str] = mapped_column(String(500), index=True)
    # The task's field, year, step, host and result as tokens (`facet`): filters the index
    # answers by itself, without visiting the rows.
    facets_doc: Mapped[str] = mapped_column(Text)
    title_doc: Mapped[str] = mapped_column(Text)
    names_doc: Mapped[str] = mapped_column(Text)
    body_doc: Mapped[str] = mapped_column(Text)


class PersonSearch(Base):
    """A person's folded search text (the directory lists only public profiles)."""

    __tablename__ = "person_search"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    name_doc: Mapped[str] = mapped_column(Text)
    profile_doc: Mapped[str] = mapped_column(Text)
    # Vietnamese names sort by the given name (the last word), then the whole name.
    name_key: Mapped[str] = mapped_column(String(300), index=True)


@dataclass(frozen=True)
class FullText:
    """The database-side full-text machinery over one index table."""

    table: str
    key: str
    # the searched columns, most telling first: bm25 weights on SQLite, tsvector weights A, B,
    # C on PostgreSQL, in this order
    columns: tuple[str, ...]
    weights: tuple[float, ...]
    # the column of facet tokens (weight D on PostgreSQL; never matched by what people type)
    facets: str | None = None

    @property
    def indexed(self) -> tuple[str, ...]:
        """Every column of the full-text index."""
        return self.columns + ((self.facets,) if self.facets else ())

    @property
    def fts(self) -> str:
        """The SQLite FTS5 table's name."""
        return f"{self.table}_fts"

    @property
    def gin_index(self) -> str:
        """The PostgreSQL GIN index's name."""
        return f"ix_{self.table}_search_vector"

    @property
    def facets_index(self) -> str:
        """The PostgreSQL GIN index of the facets."""
        return f"ix_{self.table}_facets_vector"

    def create_statements(self, dialect: str) -> list[str]:
        """DDL that creates the machinery (after the index table exists)."""
        cols = ", ".join(self.indexed)
        if dialect == "sqlite":
            new = ", ".join(f"new.{c}" for c in self.indexed)
            old = ", ".join(f"old.{c}" for c in self.indexed)
            remove = (
                f"INSERT INTO {self.fts}({self.fts}, rowid, {cols}) "
                f"VALUES ('delete', old.{self.key}, {old});"
            )
            add = f"INSERT INTO {self.fts}(rowid, {cols}) VALUES (new.{self.key}, {new});"
            return [
                # the text is folded already: the tokenizer only splits it into words
                f"CREATE VIRTUAL TABLE {self.fts} USING fts5({cols}, content='{self.table}', "
                f"content_rowid='{self.key}', tokenize='unicode61 remove_diacritics 0')",
                f"CREATE TRIGGER {self.table}_ai AFTER INSERT ON {self.table} BEGIN {add} END",
                f"CREATE TRIGGER {self.table}_ad AFTER DELETE ON {self.table} BEGIN {remove} END",
                f"CREATE TRIGGER {self.table}_au AFTER UPDATE ON {self.table} "
                f"BEGIN {remove} {add} END",
            ]
        if dialect == "postgresql":
            # Facets get a tsvector and a GIN index of their own: a query restricted to some
            # weights makes GIN recheck every row, while two unrestricted ones are answered by
            # the indexes alone (a count of all-visible rows never reads the table).
            weighted = " || ".join(
                f"setweight(to_tsvector('simple'::regconfig, {c}), '{w}')"
                for c, w in zip(self.columns, "ABC", strict=False)
            )
            statements = [
                f"ALTER TABLE {self.table} ADD COLUMN search_vector tsvector "
                f"GENERATED ALWAYS AS ({weighted}) STORED",
                f"CREATE INDEX {self.gin_index} ON {self.table} USING gin (search_vector)",
            ]
            if self.facets:
                statements += [
                    f"ALTER TABLE {self.table} ADD COLUMN facets_vector tsvector "
                    f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, {self.facets})) "
                    "STORED",
                    f"CREATE INDEX {self.facets_index} ON {self.table} USING gin (facets_vector)",
                ]
            return statements
        raise NotImplementedError(f"full-text search on {dialect}")

    def drop_statements(self, dialect: str) -> list[str]:
        """DDL that removes the machinery (before the index table goes)."""
        if dialect == "sqlite":
            return [
                *(f"DROP TRIGGER IF EXISTS {self.table}_{t}" for t in ("ai", "ad", "au")),
                f"DROP TABLE IF EXISTS {self.fts}",
            ]
        return [
            f"DROP INDEX IF EXISTS {self.gin_index}",
            f"DROP INDEX IF EXISTS {self.facets_index}",
            f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS search_vector",
            f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS facets_vector",
        ]

    def owns(self, name: str) -> bool:
        """Whether a database object of this name belongs to the machinery."""
        return name in (self.gin_index, self.facets_index, self.fts) or name.startswith(
            f"{self.fts}_"
        )


TASK_TEXT = FullText(
    "task_search", "task_id", ("title_doc", "names_doc", "body_doc"), (10, 4, 1), "facets_doc"
)
PERSON_TEXT = FullText("person_search", "person_id", ("name_doc", "profile_doc"), (8, 1))
FULL_TEXTS = (TASK_TEXT, PERSON_TEXT)


# "Highest budget first, tasks without one last" as an index: PostgreSQL's descending index
# puts NULLs first unless told, and SQLite's CREATE INDEX cannot say NULLS LAST (its DESC puts
# them last by itself), so this index is PostgreSQL's alone (migration 0006), outside the models.
BUDGET_HIGH_INDEX = "ix_task_search_budget_high"
BUDGET_HIGH_DDL = (
    f"CREATE INDEX {BUDGET_HIGH_INDEX} ON task_search (total_budget DESC NULLS LAST, task_id)"
)


def outside_the_models(name: str | None, type_: str) -> bool:
    """Whether a database object is search machinery that the models do not describe.

    The one place where FTS5 tables (and their shadow tables), PostgreSQL's tsvector column,
    GIN index and budget order index are left out of the models-versus-migrations comparison.
    """
    if name is None:
        return False
    if type_ == "column":
        return name in ("search_vector", "facets_vector")
    return name == BUDGET_HIGH_INDEX or any(text.owns(name) for text in FULL_TEXTS)


def create_machinery(connection: Connection) -> None:
    """Create the full-text machinery of every index on this connection's database."""
    for text in FULL_TEXTS:
        for statement in text.create_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)


def drop_machinery(connection: Connection) -> None:
    """Remove the full-text machinery of every index."""
    for text in FULL_TEXTS:
        for statement in text.drop_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)


# --- matching ------------------------------------------------------------------------------

# A search matching more tasks than this ranks the newest this many of them by relevance and
# lists the older ones after, newest first: ranking costs per match, and past a few thousand
# matches the order of the rest means little (the count stays exact). Settable for a province.
RANK_WINDOW = 1000
# Counting stops here: past two thousand matches a page says "more than 2,000" (PostgreSQL
# reads every matching row to count it, and nobody pages through a hundred pages). Settable.
COUNT_LIMIT = 2_000


def facet(kind: str, value: object) -> str:
    """The index token of one filter value, e.g. facet("y", 2024) -> "kxy2024"."""
    return "kx" + kind + re.sub(r"[^a-z0-9]", "", str(value).lower())


def task_facets(
    *,
    field: Field | None = None,
    year: int | None = None,
    stage: Stage | None = None,
    organisation_id: int | None = None,
    result: ResultStatus | None = None,
) -> list[str]:
    """The facet tokens of a task's values, or of the filters a search asks for."""
    found = []
    for kind, value in (
        ("f", field.value if field is not None else None),
        ("y", year),
        ("s", stage.value if stage is not None else None),
        ("o", organisation_id),
        ("r", result.value if result is not None else None),
    ):
        if value is not None:
            found.append(facet(kind, value))
    return found


@dataclass(frozen=True)
class _Expression:
    """A search in the database's own full-text syntax (PostgreSQL: text and facets apart)."""

    dialect: str
    text: str
    facets: str = ""

    @property
    def empty(self) -> bool:
        return not self.text and not self.facets


def _expression(
    session: Session, index: FullText, query: SearchQuery | None, facets: Iterable[str]
) -> _Expression:
    dialect = session.get_bind().dialect.name
    words = list(query.terms) if query is not None else []
    tokens = list(facets)
    if dialect == "sqlite":
        parts = []
        if words:
            phrase = " ".join(f'"{w}"' for w in words)
            parts.append(f"{{{' '.join(index.columns)}}} : ({phrase})")
        if tokens:
            quoted = " ".join(f'"{token}"' for token in tokens)
            parts.append(f"{index.facets} : ({quoted})")
        return _Expression(dialect, " AND ".join(parts))
    return _Expression(dialect, " & ".join(words), " & ".join(tokens))


def _nothing() -> Select[*tuple[Any, ...]]:
    return select(literal(0).label("id"), literal(0.0).label("rank")).where(false())


def _matches(index: FullText, expression: _Expression, ranked: bool) -> Select[*tuple[Any, ...]]:
    """(id, rank) of every row matching; a higher rank is a better match (0 when not `ranked`:
    ranking costs per row, and a count or another order does not need it)."""
    if expression.dialect == "sqlite":
        fts = table(index.fts, column("rowid"))
        weights = ", ".join(str(float(w)) for w in (*index.weights, 0.0)[: len(index.indexed)])
        bm25 = -literal_column(f"bm25({index.fts}, {weights})") if ranked else literal(0.0)
        return (
            select(fts.c.rowid.label("id"), bm25.label("rank"))
            .select_from(fts)
            .where(literal_column(index.fts).op("MATCH")(bindparam("fts_query", expression.text)))
        )
    rows = table(index.table, column(index.key), column("search_vector"), column("facets_vector"))
    conditions = []
    rank: Any = literal(0.0)
    if expression.text:
        tsquery = func.to_tsquery(
            literal_column("'simple'::regconfig"), bindparam("ts_query", expression.text)
        )
        conditions.append(rows.c.search_vector.op("@@")(tsquery))
        if ranked:
            rank = func.ts_rank(rows.c.search_vector, tsquery)
    if expression.facets:
        facets = func.to_tsquery(
            literal_column("'simple'::regconfig"), bindparam("ts_facets", expression.facets)
        )
        conditions.append(rows.c.facets_vector.op("@@")(facets))
    return select(rows.c[index.key].label("id"), rank.label("rank")).where(*conditions)


def matching(
    session: Session,
    index: FullText,
    query: SearchQuery | None,
    facets: Iterable[str] = (),
    *,
    ranked: bool = True,
) -> Select[*tuple[Any, ...]] | None:
    """(id, rank) of the rows a search and facets select; None when they select everything."""
    if query is not None and not query.terms:
        return _nothing()  # nothing searchable typed (only punctuation, another script)
    expression = _expression(session, index, query, facets)
    return None if expression.empty else _matches(index, expression, ranked)


def count_matching(
    session: Session,
    index: FullText,
    query: SearchQuery | None,
    facets: Iterable[str] = (),
    *,
    limit: int | None = None,
) -> int | None:
    """How many rows a search and facets select, counting no further than `limit` + 1 (None
    when they select everything)."""
    found = matching(session, index, query, facets, ranked=False)
    if found is None:
        return None
    if limit is not None:
        found = found.limit(limit + 1)
    return session.scalar(select(func.count()).select_from(found.subquery())) or 0


def _key(index: FullText) -> ColumnElement[int]:
    """The index table's key column (PostgreSQL's matches select from that table)."""
    return literal_column(f"{index.table}.{index.key}")


def _unindexed(index: FullText) -> ColumnElement[int]:
    """The key as an expression no index is ordered by: ordering by it makes PostgreSQL read
    the matches through the GIN index and sort them, rather than walk the primary key."""
    return _key(index) + literal_column("0")


# The share of the newest keys the first look for the newest matches covers (1/16 of them).
_NEWEST_SHARE = 16


def _window_start(
    session: Session, index: FullText, query: SearchQuery | None, facets: Iterable[str]
) -> int | None:
    """The oldest key of the newest RANK_WINDOW matches, when they are found among the newest
    keys (PostgreSQL); None when they are spread wider.

    A GIN index gives the matching rows, not their keys: to keep the newest matches PostgreSQL
    reads every match from the table first (30 ms for two words in 16,000 tasks). So the newest
    sixteenth of the keys is looked at first (a word most tasks use: the primary key walked
    back, a few rows), then, when it held fewer, the newest keys that many matches there say
    should hold the window, while they are at most half of them (the GIN scan ANDed with the
    key range: only the matches in it are read). The window is every match from the key found
    on: the same rows as before, fewer of the table's read.
    """
    plain = matching(session, index, query, facets, ranked=False)
    assert plain is not None
    key = _key(index)
    top = session.scalar(select(func.max(key)).select_from(table(index.table)))
    if top is None:
        return None
    span, order = max(1, top // _NEWEST_SHARE), key
    while True:
        looked = plain.where(key > top - span).order_by(order.desc()).limit(RANK_WINDOW)
        window = looked.subquery()
        found, oldest = session.execute(select(func.count(), func.min(window.c.id))).one()
        if found >= RANK_WINDOW:
            return int(oldest)
        if order is not key:
            return None
        # as many keys again as the share of matches there says, and some to spare
        span = span * RANK_WINDOW * 3 // (2 * found) if found else top
        if span > top // 2:
            return None
        order = _unindexed(index)  # sparse here: the GIN index reads only the matches


def page_matching(
    session: Session,
    index: FullText,
    query: SearchQuery | None,
    facets: Iterable[str],
    *,
    ranked: bool,
    newest_first: bool = True,
    offset: int = 0,
    limit: int = 20,
    matched: int | None = None,
) -> list[tuple[int, float | None]]:
    """One page of (id, rank) of the rows a search and facets select.

    `ranked`: the best matches first, within the newest RANK_WINDOW matches, then the older
    ones newest first. Otherwise by id, newest (highest) or oldest first. Only the index is
    read: the rows of the page are fetched by their ids afterwards. `matched`: how many rows
    match, when the caller counted them already (`count_matching` up to COUNT_LIMIT + 1): on
    PostgreSQL it decides how the matches are best read (the page is the same).
    """
    found = matching(session, index, query, facets, ranked=ranked)
    assert found is not None, "a page of everything is read from the table itself"
    ids = found.selected_columns[0]
    postgresql = session.get_bind().dialect.name == "postgresql"
    if not ranked or query is None:
        by: ColumnElement[Any] = ids
        if postgresql and matched is not None and matched <= COUNT_LIMIT:
            # Few matches: read them through the GIN index and sort them. Walking the primary
            # key back instead reads every newer row until the page fills, all the newer
            # years' tasks when the filter asks for an older year.
            by = _unindexed(index)
        order = by.desc() if newest_first else by.asc()
        rows = session.execute(found.order_by(order).limit(limit).offset(offset)).all()
        return [(i, None) for i, _ in rows]
    page: list[tuple[int, float | None]] = []
    if offset < RANK_WINDOW:
        if postgresql:
            # Rank only the window's rows: PostgreSQL would otherwise rank every match before
            # keeping the newest (SQLite's FTS5 ranks lazily, row by row, as the window fills).
            oldest = None
            if matched is None or matched > COUNT_LIMIT:  # many matches: look at the newest
                oldest = _window_start(session, index, query, facets)
            if oldest is not None:
                window = found.where(_key(index) >= oldest).subquery("window")
            elif matched is not None and matched <= RANK_WINDOW:
                window = found.subquery("window")  # every match is in the window
            else:
                # The matches are few or not among the newest keys: read them all through the
                # GIN index, in an order no other index gives (walking the primary key back
                # would read every row until a thousand matched).
                plain = matching(session, index, query, facets, ranked=False)
                assert plain is not None
                newest = plain.order_by(_unindexed(index).desc()).limit(RANK_WINDOW)
                window = found.where(ids.in_(select(newest.subquery().c.id))).subquery("window")
        else:
            window = found.order_by(ids.desc()).limit(RANK_WINDOW).subquery("window")
        best = select(window.c.id, window.c.rank).order_by(window.c.rank.desc(), window.c.id.desc())
        take = min(limit, RANK_WINDOW - offset)
        page += [(i, float(r)) for i, r in session.execute(best.limit(take).offset(offset))]
        if len(page) < take:
            return page  # fewer matches than the window holds: none left after it
    if len(page) < limit:
        rest = found.order_by(ids.desc()).offset(max(offset, RANK_WINDOW)).limit(limit - len(page))
        page += [(i, float(r)) for i, r in session.execute(rest)]
    return page


# --- keeping the index in step -------------------------------------------------------------


def result_status(
    final_rating: Rating | str | None, certified: bool, published: bool
) -> ResultStatus:
    """Where a task's results stand, from the acceptance decision and the registrations."""
    if published:
        return ResultStatus.PUBLISHED
    if certified:
        return ResultStatus.REGISTERED
    if final_rating is None:
        return ResultStatus.NONE
    if Rating(final_rating) is Rating.FAIL:
        return ResultStatus.FAILED
    return ResultStatus.ACCEPTED


def _chunks(ids: Iterable[int], size: int = 500) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _upsert(connection: Connection, model: type[Base], key: str, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model.__table__)  # type: ignore[attr-defined]
    updates = {name: statement.excluded[name] for name in rows[0] if name != key}
    connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), rows)


def refresh_tasks(connection: Connection, task_ids: Iterable[int]) -> None:
    """Recompute the index rows of these tasks from the domain tables (gone tasks: removed)."""
    for ids in _chunks(task_ids):
        if connection.dialect.name == "postgresql":
            # Wait for any other transaction rewriting these rows, then read what it committed,
            # so two transactions touching one task never leave the older text behind.
            connection.execute(
                select(Task.id).where(Task.id.in_(ids)).order_by(Task.id).with_for_update()
            )
        lines = (
            select(func.sum(BudgetLine.amount))
            .where(BudgetLine.task_id == Task.id)
            .scalar_subquery()
        )
        contract_value = select(Contract.value).where(Contract.task_id == Task.id).scalar_subquery()
        # the recognition decision's rating; before it, the council's once the acceptance is
        # official (the chair confirmed the completed dossier, TT 11/2014 Đ13.3) or failed
        official = or_(
            AcceptanceDossier.completed_on.is_not(None),
            AcceptanceDossier.council_rating == Rating.FAIL,
        )
        rating = (
            select(
                func.coalesce(
                    AcceptanceDossier.final_rating,
                    case((official, AcceptanceDossier.council_rating)),
                )
            )
            .where(
                AcceptanceDossier.task_id == Task.id,
                AcceptanceDossier.level == AcceptanceLevel.DEPARTMENT,
            )
            .scalar_subquery()
        )
        registration = ResultRegistration.task_id == Task.id
        certified = exists().where(registration, ResultRegistration.certificate_number.is_not(None))
        published = exists().where(registration, ResultRegistration.published_on.is_not(None))
        rows = connection.execute(
            select(
                Task.id,
                Task.code,
                Task.title,
                Task.objectives,
                Task.expected_results,
                Task.field,
                Task.kind,
                Task.year,
                Task.stage,
                Task.host_organisation_id,
                Organisation.name,
                Organisation.short_name,
                Person.full_name,
                func.coalesce(lines, contract_value),
                rating,
                case((certified, True), else_=False),
                case((published, True), else_=False),
                case((public_task(), True), else_=False),
            )
            .outerjoin(Organisation, Organisation.id == Task.host_organisation_id)
            .outerjoin(Person, Person.id == Task.principal_investigator_id)
            .where(Task.id.in_(ids))
        ).all()
        results: dict[int, list[str]] = {}
        for task_id, title in connection.execute(
            select(ResultRegistration.task_id, ResultRegistration.title).where(
                ResultRegistration.task_id.in_(ids)
            )
        ):
            results.setdefault(task_id, []).append(title)
        # only public tasks are indexed: every public list and page reads through the index
        rows = [row for row in rows if row[-1]]
        found = {row[0] for row in rows}
        if gone := set(ids) - found:
            connection.execute(delete(TaskSearch).where(TaskSearch.task_id.in_(gone)))
        _upsert(
            connection,
            TaskSearch,
            "task_id",
            [
                {
                    "task_id": task_id,
                    "title_doc": document(code, title),
                    "names_doc": document(org, short, leader),
                    "body_doc": document(
                        objectives,
                        expected,
                        label(field_),
                        label(field_, "en"),
                        label(kind),
                        *results.get(task_id, []),
                    ),
                    "facets_doc": " ".join(
                        task_facets(
                            field=field_,
                            year=year,
                            stage=stage,
                            organisation_id=host_id,
                            result=result_status(final, bool(cert), bool(pub)),
                        )
                    ),
                    "total_budget": budget,
                    "result": result_status(final, bool(cert), bool(pub)),
                    "title_key": fold(title)[:500],
                }
                for (
                    task_id,
                    code,
                    title,
                    objectives,
                    expected,
                    field_,
                    kind,
                    year,
                    stage,
                    host_id,
                    org,
                    short,
                    leader,
                    budget,
                    final,
                    cert,
                    pub,
                    _public,
                ) in rows
            ],
        )


def name_key(full_name: str) -> str:
    """How a Vietnamese name sorts: by the given name (its last word), then the whole name."""
    words = terms(full_name)
    return (" ".join(words[-1:] + words))[:300]


def refresh_people(connection: Connection, person_ids: Iterable[int]) -> None:
    """Recompute the index rows of these people (gone people: removed)."""
    for ids in _chunks(person_ids):
        people = {
            pid: (name, degree, title, bio)
            for pid, name, degree, title, bio in connection.execute(
                select(
                    Person.id,
                    Person.full_name,
                    Person.degree,
                    Person.academic_title,
                    Person.biography,
                ).where(Person.id.in_(ids))
            )
        }
        extra: dict[int, list[str]] = {pid: [] for pid in people}
        for pid, field_, speciality in connection.execute(
            select(Expertise.person_id, Expertise.field, Expertise.speciality).where(
                Expertise.person_id.in_(ids)
            )
        ):
            extra[pid] += [label(field_), label(field_, "en"), speciality]
        for pid, name, short in connection.execute(
            select(Affiliation.person_id, Organisation.name, Organisation.short_name)
            .join(Organisation, Organisation.id == Affiliation.organisation_id)
            .where(Affiliation.person_id.in_(ids), Affiliation.ended_on.is_(None))
        ):
            extra[pid] += [name, short or ""]
        if gone := set(ids) - set(people):
            connection.execute(delete(PersonSearch).where(PersonSearch.person_id.in_(gone)))
        _upsert(
            connection,
            PersonSearch,
            "person_id",
            [
                {
                    "person_id": pid,
                    "name_doc": document(name),
                    "profile_doc": document(
                        label(degree) if degree else "",
                        label(title) if title else "",
                        *extra[pid],
                        bio,
                    ),
                    "name_key": name_key(name),
                }
                for pid, (name, degree, title, bio) in people.items()
            ],
        )


def rebuild(connection: Connection) -> None:
    """Recompute the whole index from the domain tables (after a bulk load or a migration)."""
    refresh_tasks(connection, connection.scalars(select(Task.id)).all())
    refresh_people(connection, connection.scalars(select(Person.id)).all())


@dataclass
class _Stale:
    tasks: set[int] = field(default_factory=set)
    people: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    proposals: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.tasks or self.people or self.organisations or self.proposals)


# What a change to each kind of row makes stale (the task or person it belongs to).
_TASK_OF: dict[type, str] = {
    TaskMember: "task_id",
    BudgetLine: "task_id",
    Contract: "task_id",
    AcceptanceDossier: "task_id",
    ResultRegistration: "task_id",
}
_PERSON_OF: dict[type, str] = {Expertise: "person_id", Affiliation: "person_id"}


def _note(obj: object, stale: _Stale) -> None:
    if isinstance(obj, Task):
        stale.tasks.add(obj.id)
    elif isinstance(obj, Person):
        stale.people.add(obj.id)
    elif isinstance(obj, Organisation):
        stale.organisations.add(obj.id)
    elif isinstance(obj, Proposal):
        stale.proposals.add(obj.id)  # its approval makes its task public
    elif type(obj) in _TASK_OF:
        stale.tasks.add(getattr(obj, _TASK_OF[type(obj)]))
    elif type(obj) in _PERSON_OF:
        stale.people.add(getattr(obj, _PERSON_OF[type(obj)]))


def refresh_stale(connection: Connection, stale: _Stale) -> None:
    """Rewrite the index rows that the changed rows feed."""
    people = set(stale.people)
    tasks = set(stale.tasks)
    if people:
        tasks |= set(
            connection.scalars(select(Task.id).where(Task.principal_investigator_id.in_(people)))
        )
    if stale.organisations:
        orgs = stale.organisations
        tasks |= set(connection.scalars(select(Task.id).where(Task.host_organisation_id.in_(orgs))))
        people |= set(
            connection.scalars(
                select(Affiliation.person_id).where(
                    and_(Affiliation.organisation_id.in_(orgs), Affiliation.ended_on.is_(None))
                )
            )
        )
    if stale.proposals:
        tasks |= set(
            connection.scalars(select(Task.id).where(Task.proposal_id.in_(stale.proposals)))
        )
    tasks.discard(None)  # type: ignore[arg-type]
    people.discard(None)  # type: ignore[arg-type]
    refresh_tasks(connection, tasks)
    refresh_people(connection, people)


@event.listens_for(Session, "after_flush")
def _keep_in_step(session: Session, _flush: UOWTransaction) -> None:
    """Rewrite the index rows of whatever this flush changed, in the same transaction."""
    stale = _Stale()
    for obj in (*session.new, *session.dirty, *session.deleted):
        _note(obj, stale)
    if stale:
        refresh_stale(session.connection(), stale)
