"""Secret stores behind `engine.ports.SecretStore` (DESIGN.md §9): webhook secrets, apprise URLs,
broker keys. Never in SQLite, never in logs.

- `KeyringSecretStore`: the system keyring (macOS Keychain, Windows Credential Locker,
  Secret Service on a Linux desktop).
- `FileSecretStore`: a JSON file in the data dir with mode 0600. It is protected by file
  permissions only (anyone who can read your files as you, or root, can read it); used when
  no keyring backend exists, as on a headless Linux machine.

`open_secret_store()` picks one and logs which, once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

from agentic_desktop.domain.errors import RetryableError, UserError

log = logging.getLogger(__name__)

SECRETS_FILENAME = "secrets.json"
ENV_SECRET_STORE = "AGENTIC_DESKTOP_SECRET_STORE"  # noqa: S105 - a variable name: auto|keyring|file
KEYRING_SERVICE = "agentic-desktop"
StoreChoice = Literal["auto", "keyring", "file"]


class FileSecretStore:
    """Secrets in one JSON file, mode 0600, written atomically (temp file + rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"file {self.path} (mode 0600; protected by file permissions only)"

    def get(self, name: str) -> str | None:
        with self._lock:
            value = self._read().get(name)
        return value if isinstance(value, str) else None

    def set(self, name: str, value: str) -> None:
        with self._lock:
            data = self._read()
            data[name] = value
            self._write(data)

    def delete(self, name: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(name, None) is not None:
                self._write(data)

    def _read(self) -> dict[str, Any]:
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if os.name == "posix" and mode & 0o077:
                log.warning("%s was readable by others (mode %o): set it to 0600", self.path, mode)
                os.chmod(self.path, 0o600)
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise UserError(f"cannot read the secrets file {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise UserError(f"the secrets file {self.path} is damaged (not JSON): move it away; "
                            "webhook secrets will need to be regenerated") from None
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=self.path.parent)
        try:
            os.chmod(tmp, 0o600)  # mkstemp already creates 0600; be explicit
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class KeyringSecretStore:
    """Secrets in the system keyring, under one service name per data dir."""

    def __init__(self, backend: Any, *, service: str = KEYRING_SERVICE) -> None:
        self._backend = backend
        self.service = service

    def describe(self) -> str:
        return f"system keyring ({type(self._backend).__module__}.{type(self._backend).__name__})"

    def get(self, name: str) -> str | None:
        try:
            value = self._backend.get_password(self.service, name)
        except Exception as exc:  # backends raise their own types (dbus, locked keychain)
            raise RetryableError(f"the system keyring did not answer: {type(exc).__name__}; "
                                 "unlock it and try again") from None
        return value if isinstance(value, str) else None

    def set(self, name: str, value: str) -> None:
        try:
            self._backend.set_password(self.service, name, value)
        except Exception as exc:
            raise RetryableError(f"the system keyring refused to store a secret: "
                                 f"{type(exc).__name__}; unlock it and try again") from None

    def delete(self, name: str) -> None:
        try:
            self._backend.delete_password(self.service, name)
        except Exception as exc:
            import keyring.errors

            if isinstance(exc, keyring.errors.PasswordDeleteError):
                return  # already gone
            raise RetryableError(f"the system keyring refused to delete a secret: "
                                 f"{type(exc).__name__}") from None


def usable_keyring() -> Any | None:
    """The keyring backend if a real one exists, else None (headless Linux has only the
    'fail' backend, DESIGN.md §9)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring):
        return None
    priority = getattr(backend, "priority", 0)
    if not isinstance(priority, int | float) or priority <= 0:
        return None  # the null backend (-1) or a disabled one
    try:
        backend.get_password(KEYRING_SERVICE, "probe")  # a locked/broken backend raises here
    except Exception:
        return None
    return backend


def open_secret_store(data_dir: Path, *, choice: StoreChoice | None = None) -> (
        KeyringSecretStore | FileSecretStore):
    """The secret store for `data_dir`: the system keyring when usable, else the 0600 file.
    `choice` (or $AGENTIC_DESKTOP_SECRET_STORE) forces one: auto, keyring or file."""
    raw = choice or os.environ.get(ENV_SECRET_STORE, "auto") or "auto"
    if raw not in ("auto", "keyring", "file"):
        raise UserError(f"${ENV_SECRET_STORE}={raw!r}: use auto, keyring or file")
    store: KeyringSecretStore | FileSecretStore
    backend = None if raw == "file" else usable_keyring()
    if backend is not None:
        store = KeyringSecretStore(backend, service=f"{KEYRING_SERVICE}:{data_dir.resolve()}")
        log.info("secrets are kept in the %s", store.describe())
    elif raw == "keyring":
        raise UserError("no usable system keyring: unset "
                        f"${ENV_SECRET_STORE} to keep secrets in a 0600 file in the data dir")
    else:
        store = FileSecretStore(data_dir / SECRETS_FILENAME)
        why = "as configured" if raw == "file" else "no system keyring backend is available"
        log.info("secrets are kept in the %s (%s)", store.describe(), why)
    return store
