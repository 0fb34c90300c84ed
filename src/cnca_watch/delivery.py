"""Delivered-after-acceptance bookkeeping: the store's outbox meets email and webhooks.

A run made with --email / --notify queues each change, inside the run's transaction, on the
outbox channel of every target it goes to: "email" (the [email] recipients), "email:<address>"
(a route's address) and "webhook:<url>" (one per [[webhooks]] table).  Without [[routes]]
every change goes to every enabled channel, as before routes existed; with them, a change
goes to the targets of every route it matches, or to the default ones when it matches none.

Here, pending changes are sent and marked delivered only once the SMTP server or the
webhook accepted them (for a chat robot: its own success code, not just HTTP 200), so a
failed delivery goes out with the next successful one.  A digest split into several chat
messages marks delivered exactly the changes of the messages accepted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from cnca_watch.errors import ConfigError, DeliveryError
from cnca_watch.models import Change, RunResult, SourceStatus
from cnca_watch.settings import Config, WebhookSettings

if TYPE_CHECKING:
    from cnca_watch.channels import DigestItem
    from cnca_watch.store.run_writer import Router

if TYPE_CHECKING:
    from cnca_watch.store import Store
    from cnca_watch.store.fields import ReminderKey
    from cnca_watch.upcoming import Deadline, Upcoming

EMAIL_CHANNEL = "email"
_DELIVERY_PREFIXES = ("email", "webhook:")


def webhook_channel(url: str) -> str:
    return f"webhook:{url}"


def email_channel(address: str) -> str:
    """A route's own address: its own place in the outbox."""
    return f"email:{address}"


def route_addresses(config: Config) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for r in config.routing.routes for a in r.email))


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
        channels.extend(email_channel(a) for a in route_addresses(config))
    if notify:
        channels.extend(webhook_channel(w.url) for w in config.webhooks)
    return tuple(dict.fromkeys(channels))


def change_router(config: Config, enabled: Sequence[str]) -> Router:
    """Which of the ``enabled`` channels one change is queued on, by ``[[routes]]``.

    Channels that deliver nowhere (``report``) keep every change.
    """
    from cnca_watch.routing import route, routed_change

    keep = tuple(c for c in enabled if not c.startswith(_DELIVERY_PREFIXES))
    allowed = frozenset(enabled)
    by_name = {w.name: w for w in config.webhooks if w.name}
    default = (EMAIL_CHANNEL, *(webhook_channel(w.url) for w in config.webhooks if w.default))

    def pick(change: Change, body: str) -> tuple[str, ...]:
        targets = route(config.routing, routed_change(change, body))
        if targets.routes:
            wanted = (
                *(email_channel(a) for a in targets.email),
                *(webhook_channel(by_name[n].url) for n in targets.webhooks),
            )
        else:
            wanted = default if targets.default else ()
        return keep + tuple(c for c in dict.fromkeys(wanted) if c in allowed)

    return pick


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
    noted = [s for s in run.sources if s.attachment_notes] if run else []  # shown under the failures
    now = utc_now()
    # The reader's calendar day, not UTC's: a 07:00 run in Beijing is 23:00 UTC.
    day = today or date.today().isoformat()
    with Store.open(config.store_target) as store:
        if email and config.email is not None:
            # the default recipients also get the coming-up section and the reminders
            coming, reminders, obsolete = _dates_ahead(store, day, now)
            mailboxes = [(EMAIL_CHANNEL, config.email.to)]
            mailboxes += [(email_channel(a), (a,)) for a in route_addresses(config)]
            for channel, to in mailboxes:
                due = reminders if channel == EMAIL_CHANNEL else []
                reminded = False
                # claimed: a second monitor delivering the same channel waits, then finds it sent
                with store.delivering(channel) as batch:
                    pending = batch.changes
                    if not pending and not due:
                        continue
                    try:
                        _send_email(
                            config, replace(config.email, to=to), pending, failed, day,
                            coming if channel == EMAIL_CHANNEL else None, [d for _, d in due], noted,
                        )
                    except (DeliveryError, ConfigError) as exc:
                        who = "email" if channel == EMAIL_CHANNEL else f"email to {to[0]}"
                        queued = f"{len(pending)} change(s)" + (f" and {len(due)} reminder(s)" if due else "")
                        problems.append(f"{who} not sent, {queued} stay queued: {exc}")
                    else:
                        batch.sent(utc_now())
                        reminded = True
                # after the claim's own transaction: the reminders' marks are one of their own
                if reminded:
                    store.mark_reminders_delivered(channel, [k for k, _ in due], utc_now())
            # a queued reminder whose date has passed or moved is not news any more
            store.mark_reminders_delivered(EMAIL_CHANNEL, obsolete, utc_now())
        if webhooks:
            for hook in config.webhooks:
                channel = webhook_channel(hook.url)
                with store.delivering(channel) as batch:
                    pending = batch.changes
                    if not pending:
                        continue
                    if hook.format != "json":
                        accepted, problem = _post_chat(hook, pending)
                        batch.sent(utc_now(), accepted)
                        if problem:
                            left = len(pending) - len(accepted)
                            problems.append(f"webhook {hook.label} not delivered, {left} change(s) stay queued: {problem}")
                        continue
                    try:
                        _post_webhook(hook, pending, run, now)
                    except DeliveryError as exc:
                        problems.append(f"webhook not delivered, {len(pending)} change(s) stay queued: {exc}")
                    else:
                        batch.sent(utc_now())
    return problems


def signing_secret(hook: WebhookSettings) -> str | None:
    """The robot's signing secret from the variable ``secret_env`` names (never from the file)."""
    import os

    if not hook.secret_env:
        return None
    value = os.environ.get(hook.secret_env)
    if not value:
        raise DeliveryError(
            f"environment variable {hook.secret_env} (webhook {hook.label} secret_env) is not set: "
            f"export it with the {hook.format} robot's signing secret"
        )
    return value


def digest_items(changes: Sequence[Change]) -> list["DigestItem"]:
    from cnca_watch.channels import DigestItem
    from cnca_watch.render.safe import one_line

    return [
        DigestItem(
            change_id=c.id or 0,
            kind=str(c.kind.value),
            title=one_line(c.title),
            url=c.url,
            date=c.date,
            source=one_line(c.source),
            areas=tuple(one_line(a.label_en) for a in c.areas),
        )
        for c in changes
    ]


def digest_heading(changes: Sequence[Change]) -> str:
    counts = {kind: sum(1 for c in changes if c.kind.value == kind) for kind in ("new", "changed", "removed")}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    return f"cnca-watch: {summary or 'no changes'}"


def _post_chat(hook: WebhookSettings, pending: Sequence[Change]) -> tuple[list[int], str | None]:
    """Post the digest message by message; the ids of the accepted ones, and why one failed."""
    import time

    from cnca_watch.channels import build_messages
    from cnca_watch.notify import post_chat_message

    try:
        secret = signing_secret(hook)
        messages = build_messages(
            hook.format, hook.url, digest_heading(pending), digest_items(pending),
            secret=secret, now_ms=int(time.time() * 1000),
        )
    except (DeliveryError, ValueError) as exc:
        return [], str(exc)
    accepted: list[int] = []
    for message in messages:
        try:
            post_chat_message(hook, message)
        except DeliveryError as exc:
            # the later parts wait too: the digest keeps its order on the next try
            return accepted, str(exc)
        accepted.extend(message.change_ids)
    return accepted, None


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


def _send_email(config, settings, pending, failed, today: str, coming=None, reminders=(), noted=()) -> None:  # type: ignore[no-untyped-def]
    from cnca_watch.notify import password_from_env, send_email
    from cnca_watch.render.common import GLOSSARY_OVERRIDES, OUTPUT_LANGUAGE
    from cnca_watch.render.email import compose_email

    language, glossary = OUTPUT_LANGUAGE.set(config.language), GLOSSARY_OVERRIDES.set(config.glossary)
    try:
        message = compose_email(
            pending, failed, settings, today=today, coming_up=coming, reminders=reminders, noted=noted
        )
    finally:
        OUTPUT_LANGUAGE.reset(language)
        GLOSSARY_OVERRIDES.reset(glossary)
    password = settings.password or password_from_env(settings)
    send_email(settings, message, password=password)


def _post_webhook(hook, pending, run: RunResult | None, now: str) -> None:  # type: ignore[no-untyped-def]
    from cnca_watch.notify import post_webhook
    from cnca_watch.render.json import run_to_json

    if run is None:
        run = RunResult(id=0, started_at=now, finished_at=now, sources=(), changes=())
    document = run_to_json(replace(run, changes=tuple(pending)))
    post_webhook(hook, document)
