"""Where webhook secrets live: the system keyring when one works, else a 0600 file; chosen
once, logged once, never logging a secret."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from agentic_desktop.domain.errors import UserError
from agentic_desktop.store.secrets import (
    ENV_SECRET_STORE,
    FileSecretStore,
    KeyringSecretStore,
    open_secret_store,
    usable_keyring,
)


class DictKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.values:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.values[(service, username)]


@pytest.fixture
def fake_keyring() -> Iterator[DictKeyring]:
    previous = keyring.get_keyring()
    backend = DictKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_file_store_round_trip_with_mode_0600(data_dir: Path) -> None:
    store = FileSecretStore(data_dir / "secrets.json")
    assert store.get("webhook:a") is None
    store.set("webhook:a", "s3cret-a")
    store.set("webhook:b", "s3cret-b")
    assert stat.S_IMODE((data_dir / "secrets.json").stat().st_mode) == 0o600
    reopened = FileSecretStore(data_dir / "secrets.json")
    assert reopened.get("webhook:a") == "s3cret-a"
    reopened.delete("webhook:a")
    reopened.delete("webhook:never-set")
    assert FileSecretStore(data_dir / "secrets.json").get("webhook:a") is None
    assert "protected by file permissions" in store.describe()
    assert list(data_dir.glob(".secrets-*")) == []  # no temp files left behind


def test_file_store_tightens_loose_permissions(data_dir: Path) -> None:
    path = data_dir / "secrets.json"
    path.write_text('{"x": "y"}')
    os.chmod(path, 0o644)
    assert FileSecretStore(path).get("x") == "y"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_damaged_file_is_a_clear_error(data_dir: Path) -> None:
    (data_dir / "secrets.json").write_text("{not json")
    with pytest.raises(UserError, match="damaged"):
        FileSecretStore(data_dir / "secrets.json").get("x")


def test_headless_linux_falls_back_to_the_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from keyring.backends import fail

    monkeypatch.delenv(ENV_SECRET_STORE, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        caplog.set_level(logging.INFO)
        assert usable_keyring() is None
        store = open_secret_store(data_dir)
        assert isinstance(store, FileSecretStore)
        store.set("webhook:h", "do-not-log-me")
        messages = [r.getMessage() for r in caplog.records if r.name.endswith("secrets")]
        assert len(messages) == 1 and "no system keyring" in messages[0]
        assert "do-not-log-me" not in caplog.text
        with pytest.raises(UserError, match="no usable system keyring"):
            open_secret_store(data_dir, choice="keyring")
    finally:
        keyring.set_keyring(previous)


def test_a_working_keyring_is_preferred(data_dir: Path, fake_keyring: DictKeyring,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SECRET_STORE, raising=False)
    store = open_secret_store(data_dir)
    assert isinstance(store, KeyringSecretStore)
    assert "system keyring" in store.describe()
    store.set("webhook:h", "value")
    assert store.get("webhook:h") == "value"
    [(service, name)] = fake_keyring.values
    assert name == "webhook:h" and str(data_dir.resolve()) in service
    store.delete("webhook:h")
    store.delete("webhook:h")  # already gone is fine
    assert store.get("webhook:h") is None
    assert not (data_dir / "secrets.json").exists()
    monkeypatch.setenv(ENV_SECRET_STORE, "file")
    assert isinstance(open_secret_store(data_dir), FileSecretStore)
    monkeypatch.setenv(ENV_SECRET_STORE, "vault")
    with pytest.raises(UserError, match="auto, keyring or file"):
        open_secret_store(data_dir)
