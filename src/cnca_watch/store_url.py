"""How a store is named: a SQLite path, ``sqlite:///…``, or ``postgresql://…`` (pure, and
light to import: config and messages need it before any store is opened)."""

from __future__ import annotations

import os
import re
from pathlib import Path

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def store_location(text: str | Path) -> tuple[Path | None, str | None]:
    """``postgresql://…`` → (None, url); a path or ``sqlite:///…`` → (path, None).

    As in SQLAlchemy, ``sqlite:///rel.db`` is relative and ``sqlite:////abs/s.db`` absolute."""
    if isinstance(text, str) and text.startswith(POSTGRES_SCHEMES):
        return None, text
    raw = str(text)
    if isinstance(text, str):
        if raw.startswith("sqlite:///"):
            raw = raw[len("sqlite:///") :]
        elif raw.startswith("sqlite://"):
            raw = raw[len("sqlite://") :]
    return Path(os.path.expanduser(raw)), None


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for every message and log line)."""
    url = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)
