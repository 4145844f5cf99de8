"""Servers on 127.0.0.1 for the tests: a socket server in a thread (the app, a stand-in API, another site), gunicorn."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import BaseServer

ROOT = Path(__file__).resolve().parent.parent


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


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, *, bin_dir: Path | None = None, cwd: Path = ROOT) -> Iterator[str]:
    """Run the Procfile's gunicorn (bin_dir's, else this venv's) with env added, and yield its URL once it answers."""
    port = free_port()
    program = str((bin_dir or Path(sys.executable).parent) / "gunicorn")
    command = [program, "--config", "python:bot.serving", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "bot:create_app()"]
    with serving(command, port, env, cwd) as url:
        yield url


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str], cwd: Path = ROOT) -> Iterator[str]:
    """Run a server command with env added, and yield its URL once /healthz answers on port."""
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a pipe nobody reads would block the server once full
    process = subprocess.Popen(command, cwd=cwd, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=errors)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    errors.seek(0)
                    raise RuntimeError("the server did not start: " + errors.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()
