"""Every error cnca-watch raises, and the exit codes they become.

    CncaWatchError                  base; ``str(err)`` is a one-line message for a person
    ├── UsageError                  bad flag or argument                       -> exit 2
    ├── ConfigError                 bad config file (names file, key and fix)  -> exit 2
    ├── StoreError                  store unreadable, foreign, locked, full    -> exit 3
    │   └── StoreLockedError        another run holds the store
    ├── FetchError                  network / HTTP failure for one URL
    │   ├── HTTPStatusError         non-success status (``.status``)
    │   │   └── GoneError           404 / 410: the page was withdrawn
    │   └── BlockedError            anti-bot challenge or WAF page
    ├── ExtractError                a page that does not have the expected shape
    └── DeliveryError               SMTP / webhook refused or unreachable      -> exit 4

Fetch and extract errors never end a run: they become a source's status.
Exit codes, and what each means, live here and only here (see ``ExitCode``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status of ``cnca-watch``; ``meaning`` is the one text that ``--help`` and
    README's table (checked by a test) say about it."""

    OK = 0
    SOURCE_FAILED = 1
    USAGE = 2
    STORE = 3
    DELIVERY = 4
    CHANGES = 5
    INTERNAL = 70  # EX_SOFTWARE
    OUTPUT = 74  # EX_IOERR: standard output could not be written
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C

    @property
    def meaning(self) -> str:
        return EXIT_MEANINGS[self]


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "every source was checked (with --exit-code: and nothing changed)",
    ExitCode.SOURCE_FAILED: "a source failed or was blocked (the others were still checked, stored and printed)",
    ExitCode.USAGE: "bad usage or bad config",
    ExitCode.STORE: "the store could not be opened or written",
    ExitCode.DELIVERY: "email or webhook delivery failed (the changes stay queued for the next delivery)",
    ExitCode.CHANGES: "only with --exit-code: checked, and changes were found",
    ExitCode.INTERNAL: "an internal error (a bug)",
    ExitCode.OUTPUT: "the output could not be written (pipe closed early, disk full, standard output closed) "
    "and nothing was acknowledged",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C): an unfinished run saves nothing",
}


def exit_status_help() -> str:
    """The ``Exit status: ...`` paragraph of ``--help``, generated from ``ExitCode``."""
    return "Exit status: " + "; ".join(f"{code.value} {code.meaning}" for code in ExitCode) + "."


class CncaWatchError(Exception):
    exit_code: ExitCode = ExitCode.USAGE


class UsageError(CncaWatchError):
    exit_code = ExitCode.USAGE


class ConfigError(CncaWatchError):
    exit_code = ExitCode.USAGE


class StoreError(CncaWatchError):
    exit_code = ExitCode.STORE


class StoreLockedError(StoreError):
    pass


class FetchError(CncaWatchError):
    exit_code = ExitCode.SOURCE_FAILED

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class HTTPStatusError(FetchError):
    def __init__(self, message: str, *, url: str | None = None, status: int = 0) -> None:
        super().__init__(message, url=url)
        self.status = status


class GoneError(HTTPStatusError):
    pass


class BlockedError(FetchError):
    pass


class ExtractError(CncaWatchError):
    exit_code = ExitCode.SOURCE_FAILED


class DeliveryError(CncaWatchError):
    exit_code = ExitCode.DELIVERY
