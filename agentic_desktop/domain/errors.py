"""Errors split by what must happen next (DESIGN.md §10).

`UserError` needs the user: invalid input or configuration. Retrying will not help.
`RetryableError` is transient (network, timeout, a locked resource): the queue may retry it.
Every message names the thing at fault and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass


class AgenticError(Exception):
    """Base of every error this application raises on purpose."""


class UserError(AgenticError):
    """Invalid input or configuration: the user must change something."""


class NotFoundError(UserError):
    """A named thing (workflow, symbol, schedule, job) does not exist."""


class UnknownSymbolError(NotFoundError):
    def __init__(self, symbol: str, known: list[str]) -> None:
        super().__init__(
            f"unknown symbol {symbol!r}: use one of {', '.join(known)}"
            if known
            else f"unknown symbol {symbol!r}: import candles for it first"
        )
        self.symbol = symbol


class RetryableError(AgenticError):
    """A transient failure: running the same job again may succeed."""


class RunCancelled(AgenticError):
    """The run was cancelled by the user or by shutdown."""


class RunTimedOut(AgenticError):
    """The run exceeded its time limit."""


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One validation problem, located as precisely as possible."""

    message: str
    node_id: str | None = None
    port: str | None = None
    param: str | None = None

    def __str__(self) -> str:
        where = []
        if self.node_id is not None:
            where.append(f"node {self.node_id!r}")
        if self.port is not None:
            where.append(f"port {self.port!r}")
        if self.param is not None:
            where.append(f"param {self.param!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ValidationError(UserError):
    """A workflow (or other input) has one or more problems; all are listed."""

    def __init__(self, problems: list[Problem], *, subject: str = "workflow") -> None:
        self.problems = list(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{subject} is invalid: {lines}")
