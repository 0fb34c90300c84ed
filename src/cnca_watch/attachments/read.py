"""Read an attachment's text (and sheet rows) safely: ``read_attachment``.

Parsing runs in a child Python process with an address-space limit and a wall-clock kill, so
a hung, exploding or crashing parser turns into a note on that one file.  Kinds that need no
parser (HTML served instead of the file, DOC/WPS, plain text, unknown) are answered here
without starting a child.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cnca_watch.attachments._parsers import Limits, decode_text, not_extracted_reason
from cnca_watch.attachments.sniff import FileKind, sniff_kind

_CHILD_PARSED = frozenset({FileKind.PDF, FileKind.DOCX, FileKind.XLSX, FileKind.XLS, FileKind.ZIP})
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet (or one DOCX table): its first non-empty row as header, then the rest."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def with_header(self) -> tuple[tuple[str, ...], ...]:
        return (self.header, *self.rows) if self.header else self.rows


@dataclass(frozen=True, slots=True)
class ReadResult:
    kind: FileKind
    text: str
    sheets: tuple[Sheet, ...] = ()
    note: str | None = None  # e.g. "text not extracted: encrypted PDF (a password is needed)"
    pages: int | None = None  # PDF
    members: int | None = None  # ZIP

    @property
    def extracted(self) -> bool:
        return not (self.note or "").startswith("text not extracted")


def read_attachment(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    time_limit_s: float = 20,
    memory_limit_mb: int = 512,
    limits: Limits = Limits(),
) -> ReadResult:
    """The text of one attachment file, bounded in time, memory and output size.

    Never raises for a bad file: every failure is a ``note``.
    """
    prepared = _answer_without_parser(data, name, content_type, limits)
    if isinstance(prepared, ReadResult):
        return prepared
    return _in_child(prepared, data, time_limit_s, memory_limit_mb, limits)


def _answer_without_parser(data: bytes, name: str, content_type: str | None, limits: Limits) -> ReadResult | FileKind:
    """The answer when no parser is needed, else the kind the child must parse."""
    kind = sniff_kind(data, name, content_type)
    if data[:8] == _OLE_MAGIC and _ENCRYPTED_OOXML in data:
        # an encrypted DOCX/XLSX is an OLE box around an "EncryptedPackage" stream
        return ReadResult(kind, "", note="text not extracted: password-protected Office file")
    if kind not in _CHILD_PARSED:
        return _without_parser(kind, data, limits)
    return kind


def _without_parser(kind: FileKind, data: bytes, limits: Limits) -> ReadResult:
    if kind is FileKind.TEXT:
        text = decode_text(data)
        if len(text) > limits.max_text_chars:
            return ReadResult(kind, text[: limits.max_text_chars], note=f"text cut at {limits.max_text_chars:,} characters")
        return ReadResult(kind, text)
    note = f"text not extracted: {not_extracted_reason(kind)}"
    if kind is FileKind.HTML and (title := _TITLE.search(data[:65536])):
        shown = " ".join(decode_text(title.group(1)).split())[:120]
        if shown:
            note += f' (page title "{shown}")'
    return ReadResult(kind, "", note=note)


def _child_environment() -> tuple[str, dict[str, str]]:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["PYTHONWARNINGS"] = "ignore"
    return package_root, env


def _in_child(kind: FileKind, data: bytes, time_limit_s: float, memory_limit_mb: int, limits: Limits) -> ReadResult:
    package_root, env = _child_environment()
    command = [
        sys.executable, "-m", "cnca_watch.attachments._child",
        kind.value, str(memory_limit_mb), str(int(time_limit_s) + 1), json.dumps(asdict(limits)),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=time_limit_s, env=env, cwd=package_root, check=False
        )
    except subprocess.TimeoutExpired:  # run() has already killed and reaped the child
        return ReadResult(kind, "", note=f"text not extracted: reading took longer than {time_limit_s:g} s")
    except OSError as exc:
        return ReadResult(kind, "", note=f"text not extracted: could not start the reader ({exc.strerror or exc})")
    if done.returncode != 0:
        return ReadResult(kind, "", note=f"text not extracted: the reader stopped ({_exit_reason(done, memory_limit_mb)})")
    try:
        payload = json.loads(done.stdout)
    except ValueError:
        return ReadResult(kind, "", note="text not extracted: the reader's answer was unreadable")
    return _from_payload(payload)


def _exit_reason(done: subprocess.CompletedProcess[bytes], memory_limit_mb: int) -> str:
    last_line = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:160]
    if "MemoryError" in last_line:
        return f"over the {memory_limit_mb} MB memory limit"
    if done.returncode < 0:
        return f"killed by signal {-done.returncode}"
    return f"exit {done.returncode}: {last_line}" if last_line else f"exit {done.returncode}"


def _from_payload(payload: dict) -> ReadResult:  # type: ignore[type-arg]
    sheets = tuple(
        Sheet(name, tuple(header), tuple(tuple(row) for row in rows)) for name, header, rows in payload["sheets"]
    )
    notes = payload["notes"]
    return ReadResult(
        kind=FileKind(payload["kind"]),
        text=payload["text"],
        sheets=sheets,
        note="; ".join(notes) if notes else None,
        pages=payload["pages"],
        members=payload["members"],
    )


class AttachmentReader:
    """Reads many files through one long-lived child, with the same bounds per file.

    Starting an interpreter and importing a parser costs 0.1–0.4 s; a run with many new
    attachments pays it once here instead of once per file.  A file that overruns its time
    limit, crashes the child or exhausts its memory costs that child: the next file starts a
    fresh one.  Use as a context manager (the child is closed on exit).
    """

    def __init__(self, *, time_limit_s: float = 20, memory_limit_mb: int = 512, limits: Limits = Limits()) -> None:
        self.time_limit_s = time_limit_s
        self.memory_limit_mb = memory_limit_mb
        self.limits = limits
        self._child: subprocess.Popen[bytes] | None = None
        self.children_started = 0

    def __enter__(self) -> AttachmentReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, data: bytes, name: str, content_type: str | None = None) -> ReadResult:
        prepared = _answer_without_parser(data, name, content_type, self.limits)
        if isinstance(prepared, ReadResult):
            return prepared
        kind = prepared
        child = self._running_child()
        deadline = time.monotonic() + self.time_limit_s
        try:
            assert child.stdin is not None
            child.stdin.write(json.dumps({"kind": kind.value, "size": len(data)}).encode() + b"\n" + data)
            child.stdin.flush()
            answer = self._answer(child, deadline)
        except TimeoutError:
            self._discard()
            return ReadResult(kind, "", note=f"text not extracted: reading took longer than {self.time_limit_s:g} s")
        except (OSError, EOFError):  # the child died: its exit says why
            returncode = self._discard()
            reason = f"over the {self.memory_limit_mb} MB memory limit or crashed" if returncode is None else _signal_or_code(returncode)
            return ReadResult(kind, "", note=f"text not extracted: the reader stopped ({reason})")
        try:
            payload = json.loads(answer)
            result = _from_payload(payload)
        except (ValueError, KeyError, TypeError):
            self._discard()
            return ReadResult(kind, "", note="text not extracted: the reader's answer was unreadable")
        if payload.get("failed"):
            self._discard()  # the child exits after a failed file; never race it with the next one
        return result

    def close(self) -> None:
        if self._child is not None:
            child, self._child = self._child, None
            try:
                assert child.stdin is not None
                child.stdin.close()  # end of input: the child exits by itself
                child.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
                child.wait()

    def _running_child(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self._child.poll() is not None:
            self._discard()
        if self._child is None:
            package_root, env = _child_environment()
            command = [sys.executable, "-m", "cnca_watch.attachments._child", "serve", str(self.memory_limit_mb), json.dumps(asdict(self.limits))]
            self._child = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=package_root
            )
            self.children_started += 1
        return self._child

    def _answer(self, child: subprocess.Popen[bytes], deadline: float) -> bytes:
        assert child.stdout is not None
        descriptor = child.stdout.fileno()
        buffer = bytearray()
        wanted: int | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(descriptor, selectors.EVENT_READ)
            while wanted is None or len(buffer) < wanted + 8:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(timeout=left):
                    raise TimeoutError
                chunk = os.read(descriptor, 1 << 20)
                if not chunk:
                    raise EOFError
                buffer += chunk
                if wanted is None and len(buffer) >= 8:
                    wanted = int.from_bytes(buffer[:8], "big")
        return bytes(buffer[8 : 8 + wanted])

    def _discard(self) -> int | None:
        """Kill and reap the current child; its exit code (None when it had to be killed)."""
        child, self._child = self._child, None
        if child is None:
            return None
        returncode = child.poll()
        if returncode is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        return returncode


def _signal_or_code(returncode: int) -> str:
    return f"killed by signal {-returncode}" if returncode < 0 else f"exit {returncode}"
