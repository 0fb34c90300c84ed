"""Delivered-after-acceptance bookkeeping: the store's outbox meets email and webhooks.

A run made with --email / --notify queues its changes on the "email" and
"webhook:<url>" channels inside the run's transaction.  Here, pending changes are
sent and marked delivered only once the SMTP server or the webhook (2xx) accepted
them, so a failed delivery goes out with the next successful one.
"""

from __future__ import annotations

from datetime import date

from cnca_watch.errors import ConfigError, DeliveryError
from cnca_watch.models import RunResult, SourceStatus
from cnca_watch.settings import Config

EMAIL_CHANNEL = "email"


def webhook_channel(url: str) -> str:
    return f"webhook:{url}"


def channels_for(config: Config, *, email: bool, notify: bool) -> tuple[str, ...]:
    """The outbox channels a check run must queue its changes on.

    ``--email`` needs an [email] table; ``--notify`` means every configured channel
    (email and/or webhooks) and needs at least one.
    """
    where = config.path or "config"
    if email and config.email is None:
        raise ConfigError(f"{where}: --email needs an [email] table (host, from, to); see config.example.toml")
    if notify and config.email is None and not config.webhooks:
        raise ConfigError(f"{where}: --notify needs an [email] table or [[webhooks]]; see config.example.toml")
    channels: list[str] = []
    if config.email is not None and (email or notify):
        channels.append(EMAIL_CHANNEL)
    if notify:
        channels.extend(webhook_channel(w.url) for w in config.webhooks)
    return tuple(channels)


def deliver_pending(
    config: Config,
    *,
    email: bool,
    webhooks: bool,
    run: RunResult | None = None,
    today: str | None = None,
) -> list[str]:
    """Send what is pending; return one message per failed delivery (nothing is lost).

    ``run`` is the check run that just finished (its failed sources head the email and
    its source list goes to webhooks); ``None`` for ``cnca-watch notify``.
    """
    from cnca_watch.clock import utc_now
    from cnca_watch.store import Store

    problems: list[str] = []
    failed = [s for s in run.sources if s.status is not SourceStatus.OK] if run else []
    now = utc_now()
    with Store.open(config.store_target) as store:
        if email and config.email is not None:
            with store.delivering(EMAIL_CHANNEL) as batch:
                pending = batch.changes
                if pending:
                    try:
                        # The reader's calendar day, not UTC's: a 07:00 run in Beijing is 23:00 UTC.
                        _send_email(config, pending, failed, today or date.today().isoformat())
                    except (DeliveryError, ConfigError) as exc:
                        problems.append(f"email not sent, {len(pending)} change(s) stay queued: {exc}")
                    else:
                        batch.sent(utc_now())
        if webhooks:
            for hook in config.webhooks:
                channel = webhook_channel(hook.url)
                with store.delivering(channel) as batch:
                    pending = batch.changes
                    if not pending:
                        continue
                    try:
                        _post_webhook(hook, pending, run, now)
                    except DeliveryError as exc:
                        problems.append(f"webhook not delivered, {len(pending)} change(s) stay queued: {exc}")
                    else:
                        batch.sent(utc_now())
    return problems


def _send_email(config, pending, failed, today: str) -> None:  # type: ignore[no-untyped-def]
    from cnca_watch.notify import password_from_env, send_email
    from cnca_watch.render.email import compose_email

    settings = config.email
    message = compose_email(pending, failed, settings, today=today)
    password = settings.password or password_from_env(settings)
    send_email(settings, message, password=password)


def _post_webhook(hook, pending, run: RunResult | None, now: str) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from cnca_watch.notify import post_webhook
    from cnca_watch.render.json import run_to_json

    if run is None:
        run = RunResult(id=0, started_at=now, finished_at=now, sources=(), changes=())
    document = run_to_json(replace(run, changes=tuple(pending)))
    post_webhook(hook, document)
