"""Prometheus metrics: asks, feedback, ask latency and database errors, recorded here and served at /metrics."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

from bot.db import Question
from index.answering import Answer

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

bp = Blueprint("metrics", __name__)
EXTENSION = "ward_faq.metrics"
# An ask takes a few milliseconds; the upper buckets catch a slow database.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
NO_WARD = "none"


@dataclass(frozen=True)
class Metrics:
    """One app's metrics and the registry that serves them when the app runs in a single process."""

    registry: CollectorRegistry
    asks: Counter
    ask_seconds: Histogram
    feedback: Counter
    database_errors: Counter


def init_app(app: Flask, engine: Engine) -> None:
    """Make the app's metrics and count every error its database raises."""
    # prometheus_client chooses in-memory or multiprocess storage once, when first imported: import it only
    # here, after the gunicorn settings (bot.serving) have set PROMETHEUS_MULTIPROC_DIR.
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    metrics = Metrics(
        registry=registry,
        asks=Counter(
            "ward_faq_asks", "Questions answered, by channel, ward and outcome (resolved, unresolved, small_talk).",
            ["channel", "ward", "outcome"], registry=registry,
        ),
        ask_seconds=Histogram(
            "ward_faq_ask_duration_seconds", "Time to answer and log a question.", ["channel"],
            buckets=LATENCY_BUCKETS, registry=registry,
        ),
        feedback=Counter(
            "ward_faq_feedback", "Residents' verdicts on answers, by channel, ward and helpful (true or false).",
            ["channel", "ward", "helpful"], registry=registry,
        ),
        database_errors=Counter(
            "ward_faq_database_errors", "Errors the database raised, by kind (OperationalError …).", ["error"],
            registry=registry,
        ),
    )
    app.extensions[EXTENSION] = metrics

    @event.listens_for(engine, "handle_error")
    def _count_database_error(context: ExceptionContext) -> None:
        metrics.database_errors.labels(error=type(context.sqlalchemy_exception).__name__).inc()


def get_metrics() -> Metrics:
    """Return the current app's metrics."""
    return current_app.extensions[EXTENSION]


def record_ask(channel: str, answer: Answer, seconds: float) -> None:
    """Count a question answered and how long it took."""
    outcome = "small_talk" if answer.small_talk else "resolved" if answer.resolved else "unresolved"
    metrics = get_metrics()
    metrics.asks.labels(channel=channel, ward=answer.ward or NO_WARD, outcome=outcome).inc()
    metrics.ask_seconds.labels(channel=channel).observe(seconds)


def record_feedback(question: Question) -> None:
    """Count a resident's verdict on an answer."""
    helpful = "true" if question.helpful else "false"
    get_metrics().feedback.labels(channel=question.channel, ward=question.ward or NO_WARD, helpful=helpful).inc()


@bp.get("/metrics")
def metrics_text():
    """Serve the metrics in Prometheus text format, summed over every gunicorn worker when there are several."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    registry = get_metrics().registry
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
