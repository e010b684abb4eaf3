"""Row-by-row comparison of a read-model table with its scratch rebuild (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChangedRow:
    """A row present on both sides whose columns differ: column -> (live, rebuilt)."""

    key: dict[str, Any]
    columns: dict[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class TableDifferences:
    """What the live table has that the rebuild does not, and the other way round."""

    table: str
    key_columns: tuple[str, ...]
    compared_rows: int
    missing: list[dict[str, Any]] = field(default_factory=list)  # rebuilt, not live
    extra: list[dict[str, Any]] = field(default_factory=list)  # live, not rebuilt
    changed: list[ChangedRow] = field(default_factory=list)
    ignored_rows: int = 0  # rows of orders with events after the cut

    @property
    def same(self) -> bool:
        return not (self.missing or self.extra or self.changed)


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def compare_rows(
    table: str,
    live: Sequence[Row],
    rebuilt: Sequence[Row],
    *,
    key_columns: Sequence[str],
    columns: Sequence[str],
    ignored_rows: int = 0,
) -> TableDifferences:
    """Match rows by `key_columns` (or as a multiset of `columns` when there is no key)."""
    if not key_columns:
        return _compare_as_multisets(table, live, rebuilt, columns, ignored_rows)
    keyed_live = {tuple(_frozen(r[c]) for c in key_columns): r for r in live}
    keyed_rebuilt = {tuple(_frozen(r[c]) for c in key_columns): r for r in rebuilt}
    result = TableDifferences(
        table, tuple(key_columns), len(keyed_rebuilt), ignored_rows=ignored_rows
    )
    for key, row in keyed_rebuilt.items():
        other = keyed_live.get(key)
        if other is None:
            result.missing.append({c: row[c] for c in columns})
            continue
        changed = {c: (other[c], row[c]) for c in columns if _frozen(other[c]) != _frozen(row[c])}
        if changed:
            result.changed.append(ChangedRow({c: row[c] for c in key_columns}, changed))
    result.extra.extend(
        {c: row[c] for c in columns} for key, row in keyed_live.items() if key not in keyed_rebuilt
    )
    return result


def _compare_as_multisets(
    table: str,
    live: Sequence[Row],
    rebuilt: Sequence[Row],
    columns: Sequence[str],
    ignored_rows: int,
) -> TableDifferences:
    def project(row: Row) -> tuple[Any, ...]:
        return tuple(_frozen(row[c]) for c in columns)

    originals = {project(r): {c: r[c] for c in columns} for r in [*live, *rebuilt]}
    live_counts, rebuilt_counts = Counter(map(project, live)), Counter(map(project, rebuilt))
    result = TableDifferences(table, (), len(rebuilt), ignored_rows=ignored_rows)
    for row, count in (rebuilt_counts - live_counts).items():
        result.missing.extend([originals[row]] * count)
    for row, count in (live_counts - rebuilt_counts).items():
        result.extra.extend([originals[row]] * count)
    return result
