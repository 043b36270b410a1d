"""Delivers notifications: always to the app log, to the desktop channel (the tray shows it)
when one is attached, and to apprise URLs when a message asks for them.

Apprise URLs carry tokens, so they come from a provider (the secret store), never from
workflow params, and are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agentic_desktop.domain.trading import Notification

log = logging.getLogger("agentic_desktop.notifications")
DesktopSink = Callable[[Notification], None]
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class ChannelNotifier:
    def __init__(self, *, apprise_urls: Callable[[], list[str]] = list,
                 desktop: DesktopSink | None = None) -> None:
        self._apprise_urls = apprise_urls
        self._desktop: list[DesktopSink] = [desktop] if desktop else []

    def attach_desktop(self, sink: DesktopSink) -> Callable[[], None]:
        self._desktop.append(sink)
        return lambda: self._desktop.remove(sink) if sink in self._desktop else None

    async def notify(self, notification: Notification) -> list[str]:
        log.log(_LEVELS.get(notification.level, logging.INFO), "%s: %s",
                notification.title, notification.message)
        failed: list[str] = []
        if "desktop" in notification.channels or not notification.channels:
            for sink in list(self._desktop):
                try:
                    sink(notification)
                except Exception:
                    log.exception("desktop notification sink failed")
                    failed.append("desktop")
        if "apprise" in notification.channels:
            urls = self._apprise_urls()
            if not urls:
                log.warning("notification asked for apprise but no apprise URLs are configured: "
                            "add them in Settings → Notifications")
                failed.append("apprise")
            elif not await asyncio.to_thread(_send_apprise, urls, notification):
                failed.append("apprise")
        return failed


def _send_apprise(urls: list[str], notification: Notification) -> bool:
    import apprise  # heavy: imported only when a message is really sent

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            # Never log the URL: it holds the service token.
            log.warning("an apprise URL was rejected as invalid; check it in Settings")
    if len(sender) == 0:
        return False
    ok = bool(sender.notify(title=notification.title, body=notification.message))
    if not ok:
        log.warning("apprise delivery failed for at least one channel")
    return ok
