"""Notifications: the Notify node renders a message template from the run's values and hands
it to the app's Notifier (the log always; the desktop channel; apprise URLs from the app's
settings). Workflow params never hold notification URLs or tokens: a workflow file is shared,
a token is a secret."""

from __future__ import annotations

from typing import Any

from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import Notification
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.engine.summary import last_scalar
from agentic_desktop.nodes._common import when_port
from agentic_desktop.nodes.registry import node
from agentic_desktop.nodes.templates import render

CATEGORY = "Notifications"


def template_values(ctx: NodeContext) -> dict[str, Any]:
    """Names a template can use: payload fields, then every finished node's outputs
    (`rsi` = its first output's last value, `rsi.rsi` each output), `symbol`, and `value`."""
    values: dict[str, Any] = {}
    values.update({k: v for k, v in ctx.payload.items() if isinstance(k, str)})
    values.update(ctx.values)
    if "value" in ctx.inputs:
        values["value"] = last_scalar(ctx.inputs["value"])
    values.setdefault("now", ctx.clock.now().strftime("%Y-%m-%d %H:%M UTC"))
    return values


@node(NodeSpec(
    type_id="notify.message", version=1, category=CATEGORY, title="Notify",
    description="Sends a message built from a template such as \"{symbol} RSI {rsi:.1f}\". "
                "Names are node ids (first output), node_id.port, payload fields, symbol, now "
                "and value. Unknown names show as '?'.",
    inputs=(
        when_port("the message"),
        PortSpec(name="value", type="any", required=False,
                 help="Any value to mention as {value} (a series gives its last bar)."),
    ),
    outputs=(
        PortSpec(name="message", type="text", help="The rendered message."),
        PortSpec(name="sent", type="bool",
                 help="True when every chosen channel delivered it."),
        PortSpec(name="unknown", type="text",
                 help="Template names that had no value (comma-separated; empty when none)."),
        PortSpec(name="failed", type="text",
                 help="Channels that failed to deliver (comma-separated; empty when none)."),
    ),
    params=(
        ParamSpec(name="title", kind="str", default="Agentic Desktop",
                  help="Title of the notification."),
        ParamSpec(name="message", kind="text", default="{symbol}: workflow signal at {now}",
                  help="Template: {name} or {name:format}, e.g. {rsi:.1f} or "
                       "{order.fill_price:.5f}. {{ and }} are literal braces."),
        ParamSpec(name="level", kind="choice", choices=("info", "warning", "error"),
                  default="info", help="Importance; the log uses it as its level."),
        ParamSpec(name="desktop", kind="bool", default=True,
                  help="Show it on the desktop (tray) as well as in the log."),
        ParamSpec(name="apprise", kind="bool", default=False,
                  help="Also send it to the apprise URLs configured in Settings → "
                       "Notifications (never stored in the workflow)."),
    ),
    summary="{level}: {title}",
))
async def notify(ctx: NodeContext) -> dict[str, Any]:
    p = ctx.params
    rendered = render(str(p.get("message") or ""), template_values(ctx))
    channels: list[str] = []
    if p.get("desktop", True):
        channels.append("desktop")
    if p.get("apprise", False):
        channels.append("apprise")
    # An empty tuple would mean "default channels" to the notifier; "log" is explicit.
    notification = Notification(title=str(p.get("title") or "Agentic Desktop"),
                                message=rendered.text, level=p.get("level", "info"),
                                channels=tuple(channels) or ("log",))
    failed = await ctx.notifier.notify(notification)
    return {"message": rendered.text, "sent": not failed,
            "unknown": ", ".join(rendered.unknown), "failed": ", ".join(failed)}


NODES = (notify,)
