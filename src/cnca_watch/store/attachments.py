"""Attachment files in the store: each file once by SHA-256 (``files``), the file each version
had under each link (``version_files``), and each link's conditional-GET state
(``attachment_urls``).  Functions over the caller's connection: a run's writes stay inside
its one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from cnca_watch.models import AttachmentFile, Validators
from cnca_watch.store.backend import Db
from cnca_watch.store.codec import in_chunks

_FILE_COLUMNS = "f.sha256, f.size, f.kind, f.text, f.note, f.sheets_json"


@dataclass(frozen=True, slots=True)
class KnownAttachment:
    """What the store remembers of one attachment link: its latest file and validators."""

    file: AttachmentFile
    validators: Validators
    checked_at: str


@dataclass(frozen=True, slots=True)
class StoredFile:
    """``attachment get``'s answer: the bytes (None when only the text was kept)."""

    sha256: str
    name: str
    kind: str
    size: int
    content: bytes | None


def _file(url: str, name: str, row: Sequence[object]) -> AttachmentFile:
    sha, size, kind, text, note, sheets = row
    return AttachmentFile(
        url=url, name=name, sha256=str(sha), size=int(size),  # type: ignore[call-overload]
        kind=str(kind), text=str(text), note=None if note is None else str(note), sheets_json=str(sheets),
    )


def link_states(conn: Db, urls: Iterable[str]) -> tuple[dict[str, KnownAttachment], dict[str, str]]:
    """What the store remembers of each of ``urls``, in one read: the links captured before
    (file, validators, last check), and when each never-captured link (an error, over the
    size limit) was last asked for — the throttle keeps a broken link from being asked every run."""
    wanted = list(dict.fromkeys(urls))
    known: dict[str, KnownAttachment] = {}
    failed: dict[str, str] = {}
    for marks, chunk in in_chunks(wanted):
        for url, name, etag, last_modified, checked_at, *file_row in conn.execute(
            f"SELECT u.url, u.name, u.etag, u.last_modified, u.checked_at, {_FILE_COLUMNS}"
            f" FROM attachment_urls u LEFT JOIN files f ON f.sha256 = u.sha256 WHERE u.url IN ({marks})",
            tuple(chunk),
        ):
            if file_row[0] is None:
                failed[url] = str(checked_at)
            else:
                known[url] = KnownAttachment(_file(url, name, file_row), Validators(etag, last_modified), checked_at)
    return known, failed


def remember_failure(conn: Db, url: str, name: str, checked_at: str) -> None:
    """A link asked for in this run that gave no file.  A link that once gave a file keeps
    it (and is asked again next run): only never-captured links are throttled."""
    conn.execute(
        "INSERT INTO attachment_urls (url, sha256, name, etag, last_modified, checked_at) VALUES (?, NULL, ?, NULL, NULL, ?)"
        " ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at WHERE attachment_urls.sha256 IS NULL",
        (url, name, checked_at),
    )


def save_files(
    conn: Db,
    files: Iterable[AttachmentFile],
    contents: Mapping[str, bytes],
    *,
    keep_files: bool,
    run_id: int,
) -> None:
    """Store each new file once (a file already stored keeps its row)."""
    for f in files:
        content = contents.get(f.sha256) if keep_files else None
        conn.execute(
            "INSERT INTO files (sha256, size, kind, content, text, note, sheets_json, first_seen_run)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET"
            " content = coalesce(files.content, excluded.content)",
            (f.sha256, f.size, f.kind, content, f.text, f.note, f.sheets_json, run_id),
        )


def remember_fetch(
    conn: Db, url: str, name: str, sha256: str, validators: Validators, checked_at: str
) -> None:
    conn.execute(
        "INSERT INTO attachment_urls (url, sha256, name, etag, last_modified, checked_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, name = excluded.name,"
        " etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at",
        (url, sha256, name, validators.etag, validators.last_modified, checked_at),
    )


def file_keys(files: Sequence[AttachmentFile]) -> tuple[tuple[str, str], ...]:
    """What makes two versions' files the same: each link's file, in order."""
    return tuple((f.url, f.sha256) for f in files)


def versions_file_keys(conn: Db, version_ids: Sequence[int]) -> dict[int, tuple[tuple[str, str], ...]]:
    """``version_file_keys`` of many versions in one read per chunk (a version with no
    files is left out)."""
    found: dict[int, list[tuple[str, str]]] = {}
    for marks, chunk in in_chunks(list(dict.fromkeys(version_ids))):
        for version_id, url, sha in conn.execute(
            f"SELECT version_id, url, sha256 FROM version_files WHERE version_id IN ({marks})"
            " ORDER BY version_id, position",
            tuple(chunk),
        ):
            found.setdefault(int(version_id), []).append((url, sha))
    return {vid: tuple(keys) for vid, keys in found.items()}


def version_file_keys(conn: Db, version_id: int) -> tuple[tuple[str, str], ...]:
    return tuple(
        (url, sha)
        for url, sha in conn.execute(
            "SELECT url, sha256 FROM version_files WHERE version_id = ? ORDER BY position", (version_id,)
        )
    )


def save_version_files(conn: Db, version_id: int, files: Sequence[AttachmentFile]) -> None:
    if not files:
        return
    conn.executemany(
        "INSERT INTO version_files (version_id, position, url, name, sha256) VALUES (?, ?, ?, ?, ?)",
        [(version_id, n, f.url, f.name, f.sha256) for n, f in enumerate(files)],
    )


def files_of_versions(conn: Db, version_ids: Sequence[int]) -> dict[int, tuple[AttachmentFile, ...]]:
    """Each version's captured files, in link order (text included)."""
    found: dict[int, list[AttachmentFile]] = {}
    for marks, chunk in in_chunks(list(version_ids)):
        for version_id, url, name, *file_row in conn.execute(
            f"SELECT vf.version_id, vf.url, vf.name, {_FILE_COLUMNS} FROM version_files vf"
            f" JOIN files f ON f.sha256 = vf.sha256 WHERE vf.version_id IN ({marks})"
            " ORDER BY vf.version_id, vf.position",
            tuple(chunk),
        ):
            found.setdefault(version_id, []).append(_file(url, name, file_row))
    return {vid: tuple(files) for vid, files in found.items()}


def stored_file(conn: Db, key: str) -> StoredFile | None:
    """The file with SHA-256 ``key`` (a unique prefix of 8+ hex digits will do), else the
    latest file captured under the attachment link ``key``."""
    row = None
    lowered = key.strip().lower()
    if 8 <= len(lowered) <= 64 and all(c in "0123456789abcdef" for c in lowered):
        rows = conn.execute(
            "SELECT f.sha256, coalesce((SELECT name FROM version_files WHERE sha256 = f.sha256 LIMIT 1), f.sha256),"
            " f.kind, f.size, f.content FROM files f WHERE f.sha256 >= ? AND f.sha256 < ? LIMIT 2",
            (lowered, lowered + "g"),
        ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        row = conn.execute(
            "SELECT f.sha256, u.name, f.kind, f.size, f.content FROM attachment_urls u"
            " JOIN files f ON f.sha256 = u.sha256 WHERE u.url = ?",
            (key.strip(),),
        ).fetchone()
    if row is None:
        return None
    sha, name, kind, size, content = row
    return StoredFile(sha, name, kind, int(size), None if content is None else bytes(content))
