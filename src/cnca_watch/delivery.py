"""Delivered-after-acceptance bookkeeping: the store's outbox meets email and webhooks.

A run made with --email / --notify queues its changes on the "email" and
"webhook:<url>" channels inside the run's transaction.  Here, pending changes are
sent and marked delivered only once the SMTP server or the webhook (2xx) accepted
them, so a failed delivery goes out with the next successful one.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cnca_watch.errors import ConfigError, DeliveryError
from cnca_watch.models import RunResult, SourceStatus
from cnca_watch.settings import Config

if TYPE_CHECKING:
    from cnca_watch.store import Store
    from cnca_watch.store.fields import ReminderKey
    from cnca_watch.upcoming import Deadline, Upcoming

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
    with Store.open(config.store_path) as store:
        if email and config.email is not None:
            pending = store.pending(EMAIL_CHANNEL)
            # The reader's calendar day, not UTC's: a 07:00 run in Beijing is 23:00 UTC.
            day = today or date.today().isoformat()
            coming, reminders, obsolete = _dates_ahead(store, day, now)
            if pending or reminders:
                try:
                    _send_email(config, pending, failed, day, coming, [d for _, d in reminders])
                except (DeliveryError, ConfigError) as exc:
                    queued = f"{len(pending)} change(s)" + (f" and {len(reminders)} reminder(s)" if reminders else "")
                    problems.append(f"email not sent, {queued} stay queued: {exc}")
                else:
                    store.mark_delivered(EMAIL_CHANNEL, [c.id for c in pending if c.id is not None], utc_now())
                    store.mark_reminders_delivered(EMAIL_CHANNEL, [k for k, _ in reminders], utc_now())
            # a queued reminder whose date has passed or moved is not news any more
            store.mark_reminders_delivered(EMAIL_CHANNEL, obsolete, utc_now())
        if webhooks:
            for hook in config.webhooks:
                channel = webhook_channel(hook.url)
                pending = store.pending(channel)
                if not pending:
                    continue
                try:
                    _post_webhook(hook, pending, run, now)
                except DeliveryError as exc:
                    problems.append(f"webhook not delivered, {len(pending)} change(s) stay queued: {exc}")
                else:
                    store.mark_delivered(channel, [c.id for c in pending if c.id is not None], utc_now())
    return problems


def _dates_ahead(store: "Store", day: str, now: str) -> "tuple[Upcoming, list[tuple[ReminderKey, Deadline]], list[ReminderKey]]":
    """The next 7 days' dates; the reminders due (queued once each, so never twice) and
    still pending (so a failed email repeats them); the pending ones that no longer apply."""
    from cnca_watch.upcoming import COMING_UP_DAYS, Upcoming, deadlines_ahead, reminders_due

    ahead = deadlines_ahead(store.dated_versions(), day, COMING_UP_DAYS)
    store.queue_reminders(reminders_due(ahead), [EMAIL_CHANNEL], now)
    current = {(d.url, d.field, d.date): d for d in ahead}
    reminders, obsolete = [], []
    for key in store.pending_reminders(EMAIL_CHANNEL):
        deadline = current.get((key.url, key.field, key.date))
        if deadline is None:
            obsolete.append(key)
        else:
            reminders.append((key, deadline))
    return Upcoming(start=day, days=COMING_UP_DAYS, deadlines=ahead, generated_at=now), reminders, obsolete


def _send_email(config, pending, failed, today: str, coming=None, reminders=()) -> None:  # type: ignore[no-untyped-def]
    from cnca_watch.notify import password_from_env, send_email
    from cnca_watch.render.email import compose_email

    from cnca_watch.render.common import GLOSSARY_OVERRIDES, OUTPUT_LANGUAGE

    settings = config.email
    language, glossary = OUTPUT_LANGUAGE.set(config.language), GLOSSARY_OVERRIDES.set(config.glossary)
    try:
        message = compose_email(pending, failed, settings, today=today, coming_up=coming, reminders=reminders)
    finally:
        OUTPUT_LANGUAGE.reset(language)
        GLOSSARY_OVERRIDES.reset(glossary)
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
