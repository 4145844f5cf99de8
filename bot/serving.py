"""Gunicorn's settings: `gunicorn --config python:bot.serving 'bot:create_app()'` (the Procfile and `ward-faq serve`)."""
from __future__ import annotations

import os
from pathlib import Path

from bot import instance_dir

# The index is built once, before the workers fork, and shared by them.
preload_app = True
accesslog = "-"


def prepare_metrics_folder() -> Path:
    """Point prometheus_client at a folder the workers share, emptied of an earlier run's counts."""
    folder = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(instance_dir() / "prometheus")))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return folder


def child_exit(_server, worker) -> None:
    """Tell prometheus_client that a worker is gone, so that its live values stop counting."""
    from prometheus_client import multiprocess  # imported after the folder is set (see bot.metrics)

    multiprocess.mark_process_dead(worker.pid)


# Gunicorn reads these settings before it loads the app, and the app's metrics need the folder before they exist.
prepare_metrics_folder()
