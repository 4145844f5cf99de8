"""Servers on 127.0.0.1 for the tests: a socket server in a thread (the app, a stand-in API, another site), gunicorn."""
from __future__ import annotations

import json
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the app replies to a burst side by side; the default 5 would drop connections


class StandInMessagingApi(ThreadedServer):
    """A real HTTP server on 127.0.0.1 that records LINE reply calls and answers as told."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.status = 200
        self.delay = 0.0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stand_in.calls.append(
                    {"method": "POST", "path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                time.sleep(stand_in.delay)
                answer = b"{}" if stand_in.status == 200 else b'{"message":"stand-in error"}'
                try:
                    self.send_response(stand_in.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the app gave up waiting, as it should

            def log_message(self, *args) -> None:
                pass

        super().__init__(Server(("127.0.0.1", 0), Handler))

    def wait_for(self, count: int, seconds: float = 5.0) -> list[dict]:
        """Return the calls once there are `count` of them (replies may finish after LINE got its 200)."""
        deadline = time.monotonic() + seconds
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.calls


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
    with serving(command, env, port, cwd) as url:
        yield url


@contextmanager
def ward_faq_serve(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Run `ward-faq serve` with env added, and yield its URL once it answers."""
    port = free_port()
    command = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", str(port),
               "--workers", str(workers)]
    with serving(command, env, port) as url:
        yield url


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, cwd: Path = ROOT) -> Iterator[str]:
    """Run a server command until the block ends, yielding its URL once /healthz answers."""
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


class TcpProxy:
    """A TCP proxy on 127.0.0.1 that can cut every connection and refuse new ones: an outage of the server behind."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            end.close()

    def cut(self) -> None:
        """Cut every open connection and refuse new ones, as a database that went away does."""
        self.up = False
        with self._lock:
            for connection in self._open:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
            self._open.clear()

    def restore(self) -> None:
        """Let connections through again."""
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()
