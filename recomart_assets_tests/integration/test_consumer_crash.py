"""The crash-injection harness on the consumer and the seal (issue 20, writer protocol in
``docs/protocol.md``): each writer is killed (SIGKILL) at its protocol's steps, the day is sealed
between the consumer's crashes (merging what the lake holds while batches are cut short), and after
a complete rerun every produced message is in the lake or its quarantine exactly once, ``verify``
is clean and no temporary file is left.

``RECOMART_SOAK=1`` adds a soak: many consumer runs killed at random instants (by time) and at
random steps, with seals in between.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import uuid
from collections import Counter

import pytest

from recomart_assets.lake import verify_tree
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets.sources.clickstream.seal import seal_partition
from recomart_assets_tests.fixtures.crash import (
    assert_invariants,
    run,
    run_killed_after,
    run_killed_at,
    soak_only,
    temporary_files,
)
from recomart_assets_tests.fixtures.kafka import CONSUME, assert_contiguous, batch_ranges, consumer_env, lake_messages
from recomart_assets_tests.integration.test_kafka_consumer import DAYS, assert_exactly_once, expected_messages

pytestmark = pytest.mark.integration

CONSUMER_STEPS = ["consumer.file-published", "consumer.batch-published", "consumer.offsets-committed",
                  "consumer.resumed"]
# The default run kills at the steps that leave different states (a half batch, a whole uncommitted
# one, a resume that rolled back); after offsets-committed there is nothing left to recover, the soak covers it.
CHAIN = ["consumer.file-published", "consumer.batch-published", "consumer.resumed"]


def consume_argv(*args: str) -> list[str]:
    """A consumer run in a group of its own: the lake, not the group, says where to resume, and a new
    group need not wait for the killed member's session to time out."""
    return [sys.executable, "-c", CONSUME, "--batch-size", "400", "--idle-exit", "1",
            "--group", f"crash-{uuid.uuid4().hex[:8]}", *args]


def seal_days(settings, zone) -> None:
    """What the seal sensor does between the consumer's runs: seal (merging small files) every day held."""
    for day in DAYS:
        if zone.partition_dir("clickstream", day).exists():
            seal_partition(zone, settings.clickstream_topic, day.isoformat(), force=True)


def test_the_consumer_killed_at_each_step_with_seals_between_loses_nothing(kafka_settings, zone):
    produce_clickstream(kafka_settings, 3000, DAYS, seed=41, dirty_rate=0.05)
    expected = expected_messages(3000, 41, 0.05)
    env = consumer_env(kafka_settings)
    for step in CHAIN:  # each run resumes from the previous one's crash, then dies at the next step
        outcome = run_killed_at(consume_argv(), env, step, nth=1 if step == "consumer.resumed" else 2)
        assert outcome.killed, f"not killed at {step}: {outcome.stderr[-2000:]}"
        seal_days(kafka_settings, zone)
    final = run(consume_argv(), env)
    assert final.returncode == 0, final.stderr[-3000:]
    seal_days(kafka_settings, zone)
    assert_exactly_once(zone, kafka_settings, expected)
    assert_invariants(zone.root, expected_records=expected.total(), counted_records=sum(lake_messages(zone).values()))


SEAL = ("from recomart_assets.lake import RawZone; from recomart_assets.sources.clickstream.seal import seal_partition;"
        " from upath import UPath; import sys; seal_partition(RawZone(UPath(sys.argv[1])), 't', sys.argv[2], force=True)")


@pytest.mark.parametrize("step", ["seal.merged-written", "seal.replaced-deleted", "seal.copies-written",
                                  "seal.partition-written"])
def test_the_seal_killed_at_each_step_then_rerun(zone, step):
    from recomart_assets_tests.fixtures.clickstream_batches import DAY, lines, write_batch

    for start in range(0, 50, 10):
        write_batch(zone, start, start + 9, {10: lines(start, 6), 11: lines(start + 6, 4)})
    before = lake_messages(zone)
    argv = [sys.executable, "-c", SEAL, str(zone.root), DAY]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    assert run_killed_at(argv, env, step).killed
    assert lake_messages(zone) == before  # readers see every event once, even now
    assert run(argv, env).returncode == 0
    assert lake_messages(zone) == before
    assert_invariants(zone.root, expected_records=50, counted_records=sum(before.values()))


@soak_only
def test_soak_random_kills_of_the_consumer_with_seals_between(kafka_settings, zone):
    """Live traffic while consumers are killed at random steps or instants, with seals in between."""
    trials = int(os.environ.get("RECOMART_SOAK_TRIALS", "30"))
    rng = random.Random(int(os.environ.get("RECOMART_SOAK_SEED", "1")))
    stop, chunks = threading.Event(), []

    def traffic() -> None:
        """300 messages every second until the trials are over: every run has work to be killed in."""
        while not stop.wait(1.0):
            produce_clickstream(kafka_settings, 300, DAYS, seed=1000 + len(chunks), dirty_rate=0.05)
            chunks.append(1000 + len(chunks))

    producer = threading.Thread(target=traffic)
    env = consumer_env(kafka_settings)
    kills = 0
    producer.start()
    try:
        for _ in range(trials):
            argv = consume_argv("--batch-size", "100", "--batch-timeout", "0.3")
            if rng.random() < 0.5:
                step = rng.choice(CONSUMER_STEPS)  # reached once a run (resumed) or once a batch (the others)
                outcome = run_killed_at(argv, env, step, nth=1 if step == "consumer.resumed" else rng.randint(1, 4))
            else:
                outcome = run_killed_after(argv, env, rng.uniform(3.0, 7.0))
            assert outcome.killed or outcome.returncode == 0, outcome.stderr[-3000:]
            kills += outcome.killed
            if rng.random() < 0.5:
                seal_days(kafka_settings, zone)
    finally:
        stop.set()
        producer.join(60)
    expected = sum((expected_messages(300, seed, 0.05) for seed in chunks), Counter())
    assert run(consume_argv(), env).returncode == 0
    seal_days(kafka_settings, zone)
    # Exactly once per offset: a loaded broker may make the producer retry a request it had already
    # written (no idempotence), so a value can sit at two offsets; each offset must be held once.
    held = lake_messages(zone)
    assert set(held) == set(expected), f"missing {len(set(expected) - set(held))} messages"
    assert_contiguous(batch_ranges(zone, kafka_settings.clickstream_topic), held.total())
    assert not temporary_files(zone.root) and verify_tree(zone.root).ok
    print(f"soak: {trials} trials, {kills} kills, {held.total()} offsets exactly once "
          f"({expected.total()} produced, {held.total() - expected.total()} copies from producer retries)")
