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
Exit codes live here and only here (see ``ExitCode``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every source checked (and, with --exit-code, nothing changed)
    SOURCE_FAILED = 1  # at least one source failed or was blocked; the rest was checked
    USAGE = 2  # bad usage or bad config
    STORE = 3  # the store could not be opened or written
    DELIVERY = 4  # email/webhook delivery failed (changes stay queued)
    CHANGES = 5  # only with --exit-code: checked, and changes were found
    INTERNAL = 70  # a bug (EX_SOFTWARE); the unfinished run saved nothing


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
