"""The TLS context of a run, built on a helper thread while the run starts.

Loading the CA bundle is 15-30 ms of OpenSSL work, done without holding the GIL.  Started
first thing in ``check`` it overlaps the imports and the opening of the store instead of
delaying the first request.  Each run takes a context of its own (a fresh one, so a changed
``SSL_CERT_FILE`` is honoured), built the way ``httpx.create_ssl_context()`` builds its
default one: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else certifi's bundle.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

__all__ = ["start_loading", "verifying_context"]


class _Loading(threading.Thread):
    def __init__(self) -> None:
        # not a daemon: an early exit waits the few ms instead of killing OpenSSL mid-call
        super().__init__(name="cnca-watch-tls")
        self.context: ssl.SSLContext | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.context = _build()
        except BaseException as exc:  # handed to the thread that needs the context
            self.error = exc


_pending: _Loading | None = None
_pending_lock = threading.Lock()


def start_loading() -> None:
    """Begin building the next run's context in the background (idempotent)."""
    global _pending
    with _pending_lock:
        if _pending is None:
            _pending = _Loading()
            _pending.start()


def verifying_context() -> ssl.SSLContext:
    """The context started by ``start_loading`` (waiting for it), or one built now."""
    global _pending
    with _pending_lock:
        loading, _pending = _pending, None
    if loading is None:
        return _build()
    loading.join()
    if loading.error is not None:
        raise loading.error
    assert loading.context is not None
    return loading.context


def _build() -> ssl.SSLContext:
    import ssl

    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
