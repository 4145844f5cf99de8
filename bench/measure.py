"""What every benchmark here measures with: percentiles and a free local port."""
from __future__ import annotations

import socket


def percentile(samples: list[float], share: float) -> float:
    """Return the value below which the given share of samples fall (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def free_port() -> int:
    """Return a TCP port on the loopback address that nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
