"""The local API's Bearer token (DESIGN.md §7).

Created on first start in `<data_dir>/api-token` with mode 0600; `$AGENTIC_DESKTOP_API_TOKEN`
overrides it. `agentic-desktop api-token` prints it (cli calls `load_or_create_token`).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from agentic_desktop.config import ENV_API_TOKEN
from agentic_desktop.domain.errors import UserError

log = logging.getLogger(__name__)

TOKEN_FILENAME = "api-token"  # noqa: S105 - a file name
MIN_TOKEN_LENGTH = 16


def token_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILENAME


def load_or_create_token(data_dir: Path) -> str:
    """The API token: $AGENTIC_DESKTOP_API_TOKEN if set, else the token file's content,
    created (mode 0600) with a random token on first use."""
    override = os.environ.get(ENV_API_TOKEN, "").strip()
    if override:
        if len(override) < MIN_TOKEN_LENGTH:
            raise UserError(f"${ENV_API_TOKEN} is too short: use at least {MIN_TOKEN_LENGTH} "
                            "random characters (or unset it to use the generated token)")
        return override
    path = token_path(data_dir)
    token = _read(path)
    if token:
        return token
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first, or it was empty
        existing = _read(path)
        if existing:
            return existing
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise UserError(f"cannot create the API token file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    if os.name == "posix":
        os.chmod(path, 0o600)
    log.info("created the API token in %s", path)
    return token


def _read(path: Path) -> str:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if os.name == "posix" and mode & 0o077:
            log.warning("%s was readable by others (mode %o): set it to 0600", path, mode)
            os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise UserError(f"cannot read the API token file {path}: {exc.strerror}") from None


def bearer_matches(header: str | None, token: str) -> bool:
    """True if an Authorization header carries `token` (compared in constant time)."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8", "surrogateescape"),
                               token.encode("utf-8"))
