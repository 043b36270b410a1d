"""Where the data lives and the settings read at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agentic_desktop.domain.errors import UserError

APP_NAME = "agentic-desktop"
ENV_HOME = "AGENTIC_DESKTOP_HOME"
ENV_API_PORT = "AGENTIC_DESKTOP_API_PORT"
ENV_API_TOKEN = "AGENTIC_DESKTOP_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
DEFAULT_API_PORT = 8000


def resolve_data_dir(cli_value: str | None) -> Path:
    """--data-dir wins, then $AGENTIC_DESKTOP_HOME, then the platform's user data dir."""
    if cli_value:
        raw = cli_value
    elif os.environ.get(ENV_HOME):
        raw = os.environ[ENV_HOME]
    else:
        import platformdirs

        raw = platformdirs.user_data_dir(APP_NAME, appauthor=False)
    path = Path(raw).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"data dir {path}: cannot create it ({exc.strerror}); "
            f"choose another with --data-dir or ${ENV_HOME}"
        ) from None
    if not os.access(path, os.W_OK):
        raise UserError(f"data dir {path} is not writable: fix its permissions or use --data-dir")
    return path


def resolve_api_port(cli_value: int | None, *, default: int = DEFAULT_API_PORT) -> int:
    """--api-port wins, then $AGENTIC_DESKTOP_API_PORT, then `default` (from Settings)."""
    if cli_value is not None:
        port = cli_value
    elif os.environ.get(ENV_API_PORT):
        try:
            port = int(os.environ[ENV_API_PORT])
        except ValueError:
            raise UserError(
                f"${ENV_API_PORT}={os.environ[ENV_API_PORT]!r} is not a port number: "
                "use a whole number from 1 to 65535"
            ) from None
    else:
        port = default
    if not 0 <= port <= 65535:
        raise UserError(f"API port {port} is out of range: use 1 to 65535 (0 picks a free one)")
    return port


@dataclass(frozen=True, kw_only=True)
class StartOptions:
    data_dir: Path
    api_port: int
    headless: bool
