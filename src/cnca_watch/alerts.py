"""Sources that watch themselves: one alert when a source has failed ``[alerts] failing_runs``
runs in a row, one "recovered" note when it next succeeds — never an alert a day.

The alert goes through the default channel (the ``[email]`` recipients and the default
``[[webhooks]]``) of a check run made with --email/--notify.  Whether it went out is kept in
the store (``source_alerts``) and recorded only once every target accepted it, so a refused
alert is tried again by the next run and an accepted one is never repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cnca_watch.errors import ConfigError, DeliveryError
from cnca_watch.models import RunResult
from cnca_watch.render.safe import one_line
from cnca_watch.settings import Config, WebhookSettings


@dataclass(frozen=True, slots=True)
class SourceAlert:
    source: str
    url: str
    state: str  # "failing" | "recovered"
    failures: int
    error: str | None

    @property
    def subject(self) -> str:
        if self.state == "failing":
            return f"cnca-watch: source {self.source} has failed {self.failures} runs in a row"
        return f"cnca-watch: source {self.source} works again"

    @property
    def text(self) -> str:
        if self.state == "failing":
            return (
                f"The source {self.source} ({self.url}) has failed the last {self.failures} runs.\n"
                f"Last error: {self.error or 'see cnca-watch history'}\n"
                "Run `cnca-watch sources health` for what to fix; you will get one note when it works again.\n"
            )
        return f"The source {self.source} ({self.url}) succeeded again after failing.\n"


def due_alerts(config: Config, run: RunResult) -> list[SourceAlert]:
    """The alerts this run makes due, from the store's run outcomes and alert state."""
    from cnca_watch.health import alert_due
    from cnca_watch.store import Store

    threshold = config.alerts.failing_runs
    if threshold <= 0:
        return []
    with Store.open(config.store_target) as store:
        records = {r.name: r for r in store.source_records(runs=max(threshold, 30))}
        alerted = store.alerted_sources()
    due = []
    for source in run.sources:
        record = records.get(source.name)
        outcomes = record.outcomes if record else ()
        failures = 0
        for outcome in reversed(outcomes):
            if outcome.status == "ok":
                break
            failures += 1
        state = alert_due(failures, source.name in alerted, threshold)
        if state is not None:
            error = next((o.error for o in reversed(outcomes) if o.status != "ok" and o.error), None)
            due.append(SourceAlert(source.name, source.url, state, failures, error))
    return due


def send_source_alerts(config: Config, run: RunResult, *, email: bool, webhooks: bool) -> list[str]:
    """Send the due alerts through the default channel; one problem line per refused one."""
    from cnca_watch.clock import utc_now
    from cnca_watch.store import Store

    hooks = [w for w in config.webhooks if w.default] if webhooks else []
    mail = email and config.email is not None
    if not (mail or hooks):
        return []
    problems = []
    for alert in due_alerts(config, run):
        failed = []
        if mail:
            try:
                _email(config, alert)
            except (DeliveryError, ConfigError) as exc:
                failed.append(f"email: {exc}")
        for hook in hooks:
            try:
                _webhook(hook, alert)
            except DeliveryError as exc:
                failed.append(f"webhook {hook.label}: {exc}")
        if failed:
            problems.append(f"{alert.state} alert for source {alert.source} not sent (tried again next run): {failed[0]}")
            continue
        with Store.open(config.store_target) as store:
            store.record_alert(alert.source, alert.state, utc_now(), alert.failures)
    return problems


def _email(config: Config, alert: SourceAlert) -> None:
    from cnca_watch.notify import password_from_env, send_email

    settings = config.email
    assert settings is not None
    message = EmailMessage()
    message["Subject"] = one_line(alert.subject)
    message["From"] = one_line(settings.sender)
    message["To"] = ", ".join(one_line(a) for a in settings.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="cnca-watch.invalid")
    message.set_content(alert.text)
    send_email(settings, message, password=settings.password or password_from_env(settings))


def _webhook(hook: WebhookSettings, alert: SourceAlert) -> None:
    import time

    from cnca_watch.channels import DigestItem, build_messages
    from cnca_watch.delivery import signing_secret
    from cnca_watch.notify import post_chat_message, post_webhook

    if hook.format == "json":
        post_webhook(hook, {
            "type": "source_alert", "state": alert.state, "source": alert.source, "url": alert.url,
            "consecutive_failures": alert.failures, "error": alert.error,
        })
        return
    title = one_line(alert.error or "failing") if alert.state == "failing" else "works again"
    item = DigestItem(change_id=0, kind=alert.state, title=title, url=alert.url, date=None, source=alert.source)
    try:
        messages = build_messages(
            hook.format, hook.url, alert.subject, [item], secret=signing_secret(hook), now_ms=int(time.time() * 1000)
        )
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    for message in messages:
        post_chat_message(hook, message)
