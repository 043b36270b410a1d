"""One GUI per data dir (DESIGN.md §6): the first launch listens on a local socket named after
the data dir; a second launch finds it, asks it to raise its window and exits before it builds
any services, so a second engine is never started."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

RAISE_MESSAGE = b"raise\n"
_CONNECT_TIMEOUT_MS = 500


def server_name_for(data_dir: Path) -> str:
    # Socket names have length limits and must not contain path separators: hash the path.
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:20]
    return f"agentic-desktop-{digest}"


class SingleInstance(QObject):
    """`claim()` is True when we are the primary instance; then `raise_requested` fires each
    time a later launch asks us to come to the front."""

    raise_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name_for(data_dir)
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        if self._ask_primary_to_raise():
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # Either another instance started between our probe and listen, or a crashed one
            # left its socket file behind. Probe again before treating it as stale.
            if self._ask_primary_to_raise():
                return False
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                raise RuntimeError(
                    f"cannot listen on local socket {self.name!r}: {server.errorString()}"
                )
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _ask_primary_to_raise(self) -> bool:
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        # Blocking waits are fine here: this runs before any event loop exists.
        if not socket.waitForConnected(_CONNECT_TIMEOUT_MS):
            return False
        socket.write(RAISE_MESSAGE)
        socket.flush()
        socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(_CONNECT_TIMEOUT_MS)
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if RAISE_MESSAGE.strip() in data:
            self.raise_requested.emit()
