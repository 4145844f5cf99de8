"""A socket server on 127.0.0.1 run in a thread: the app, a stand-in API, another site."""
from __future__ import annotations

import threading
from socketserver import BaseServer


class ThreadedServer:
    """Serve on 127.0.0.1 in a thread for the duration of a `with` block."""

    def __init__(self, server: BaseServer) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        # A short poll interval, so that shutdown is quick when the block ends.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
