"""Child-process entry point for reading attachments.

One file:   ``python -m cnca_watch.attachments._child KIND MEMORY_MB CPU_SECONDS LIMITS_JSON``
            reads the file from stdin, writes one JSON object to stdout.
Many files: ``python -m cnca_watch.attachments._child serve MEMORY_MB LIMITS_JSON``
            reads frames (a JSON header line ``{"kind": …, "size": N}`` then N bytes) and
            answers each with an 8-byte big-endian length and the JSON object; it exits at
            end of input, or after a MemoryError (a heap that ran out is not trusted again).

The address-space limit is set before any parser is imported, so a file that makes a parser
balloon ends this process with a MemoryError note (or a kill), not the run that started it.
The parent kills the process when a file takes longer than its wall-clock limit.
"""

from __future__ import annotations

import json
import sys
from typing import Any, BinaryIO


def main(argv: list[str]) -> int:
    if argv[0] == "serve":
        _, memory_mb, limits_json = argv
        _limit_resources(int(memory_mb), cpu_seconds=None)
        return _serve(sys.stdin.buffer, sys.stdout.buffer, json.loads(limits_json))
    kind_name, memory_mb, cpu_seconds, limits_json = argv
    _limit_resources(int(memory_mb), int(cpu_seconds))
    answer = _read_one(kind_name, sys.stdin.buffer.read(), json.loads(limits_json))
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def _read_one(kind_name: str, data: bytes, limits: dict[str, int]) -> dict[str, Any]:
    from cnca_watch.attachments._parsers import Collected, Limits, parse
    from cnca_watch.attachments.sniff import FileKind

    out = Collected(limits=Limits(**limits))
    parse(FileKind(kind_name), data, out)
    return out.as_json(kind_name)


def _serve(requests: BinaryIO, answers: BinaryIO, limits: dict[str, int]) -> int:
    while header_line := requests.readline():
        header = json.loads(header_line)
        data = requests.read(header["size"])
        answer = _read_one(header["kind"], data, limits)
        encoded = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        answers.write(len(encoded).to_bytes(8, "big") + encoded)
        answers.flush()
        if answer["failed"]:
            return 0
    return 0


def _limit_resources(memory_mb: int, cpu_seconds: int | None) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's wall-clock kill still bounds the time
        return
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds is not None:  # a serving child's CPU adds up over files: only the wall clock bounds it
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
