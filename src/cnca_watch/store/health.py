"""The store's side of source health: run outcomes, listed items' dates, alert state."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Sequence

from cnca_watch.health import RunOutcome


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """What the store knows of one source, for ``health.judge``."""

    name: str
    url: str
    outcomes: tuple[RunOutcome, ...]  # oldest first
    published: tuple[str, ...]  # publication dates of everything it ever listed
    final_url: str | None  # where its list page answered from at the last successful run


class HealthQueries:
    """Mixed into ``Store``, which supplies ``_read`` and ``_transaction``."""

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _transaction(self, doing: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def source_records(self, runs: int = 60) -> list[SourceRecord]:
        """Each stored source's last ``runs`` outcomes and its items' dates."""
        records = []
        for source_id, name, url in self._read("SELECT id, name, url FROM sources ORDER BY name"):
            rows = self._read(
                """
                SELECT rs.run_id, r.started_at, rs.status, rs.items_seen, rs.error, rs.final_url
                FROM run_sources rs JOIN runs r ON r.id = rs.run_id
                WHERE rs.source_id = ? ORDER BY rs.run_id DESC LIMIT ?
                """,
                (source_id, runs),
            )
            rows.reverse()
            outcomes = tuple(RunOutcome(r[0], r[1], r[2], r[3], r[4]) for r in rows)
            final_url = next((r[5] for r in reversed(rows) if r[2] == "ok" and r[5]), None)
            published = self._read(
                """
                SELECT DISTINCT v.date FROM announcements a JOIN versions v ON v.id = a.latest_version_id
                WHERE a.source_id = ? AND v.date IS NOT NULL
                """,
                (source_id,),
            )
            records.append(SourceRecord(name, url, outcomes, tuple(p[0] for p in published), final_url))
        return records

    def alerted_sources(self) -> dict[str, str]:
        """Sources a "failing" alert went out for and no "recovered" since: name -> when."""
        rows = self._read("SELECT s.name, a.alerted_at FROM source_alerts a JOIN sources s ON s.id = a.source_id")
        return {name: at for name, at in rows}

    def record_alert(self, source: str, state: str, at: str, failures: int = 0) -> None:
        """Remember that the ``state`` ("failing" | "recovered") note for ``source`` went out."""
        conn = getattr(self, "_db")
        with self._transaction("the alert was sent but not recorded"):
            if state == "failing":
                conn.execute(
                    "INSERT INTO source_alerts (source_id, alerted_at, failures)"
                    " SELECT id, ?, ? FROM sources WHERE name = ?"
                    " ON CONFLICT (source_id) DO UPDATE SET alerted_at = excluded.alerted_at, failures = excluded.failures",
                    (at, failures, source),
                )
            else:
                conn.execute(
                    "DELETE FROM source_alerts WHERE source_id = (SELECT id FROM sources WHERE name = ?)", (source,)
                )
