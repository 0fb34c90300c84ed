"""The store's side of ``routes test``: the text routes look at, per stored change."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from cnca_watch.store.codec import in_chunks


class RoutingQueries:
    """Mixed into ``Store``, which supplies ``_read``."""

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def change_bodies(self, change_ids: Iterable[int]) -> dict[int, str]:
        """The body of the version each change recorded, by change id."""
        bodies: dict[int, str] = {}
        ids = list(dict.fromkeys(change_ids))
        for marks, chunk in in_chunks(ids):
            rows = self._read(
                f"SELECT c.id, v.body FROM changes c JOIN versions v ON v.id = c.version_id WHERE c.id IN ({marks})",
                tuple(chunk),
            )
            bodies.update({cid: body for cid, body in rows})
        return bodies
