"""Child-process entry point: ``python -m cnca_watch.attachments._child KIND MEMORY_MB CPU_SECONDS LIMITS_JSON``.

Reads the file from stdin, writes one JSON object to stdout.  The address-space limit is set
before any parser is imported, so a file that makes a parser balloon ends this process with a
MemoryError note (or a kill), not the run that started it.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    kind_name, memory_mb, cpu_seconds, limits_json = argv
    _limit_resources(int(memory_mb), int(cpu_seconds))
    from cnca_watch.attachments._parsers import Collected, Limits, parse
    from cnca_watch.attachments.sniff import FileKind

    data = sys.stdin.buffer.read()
    out = Collected(limits=Limits(**json.loads(limits_json)))
    parse(FileKind(kind_name), data, out)
    sys.stdout.buffer.write(json.dumps(out.as_json(kind_name), ensure_ascii=False).encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def _limit_resources(memory_mb: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's wall-clock kill still bounds the time
        return
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
