"""Synthetic clickstream: shopping sessions of the simulated customers, produced to Kafka.

A session is one customer on one device: it often opens with a search, then moves through a
view -> click -> add_to_cart funnel over popular products (a Zipf-like skew over the catalog ids of
:mod:`recomart_assets.simulate.master`). Sessions start on a daily curve (busy evenings), web
clients stamp UTC times and mobile apps the customer's local time (+05:30), as real apps do.
Events are produced in time order per day, keyed by user id, in the contract's JSON format.

``dirty_rate`` injects what real producers send: malformed JSON, events missing fields, bad or
offset-less timestamps, and re-sent duplicates of earlier events (same bytes, same ``event_id``).
The returned counts say how many of each went out, and how many the consumer must quarantine.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import accumulate

import orjson
from confluent_kafka import Producer

from recomart_assets.config import Settings
from recomart_assets.errors import ServiceUnavailable
from recomart_assets.logs import get_logger
from recomart_assets.simulate import master
from recomart_assets.simulate.incidents import Incident, apply_to_events
from recomart_assets.simulate.shop import CATEGORIES, DEVICES, NOUNS

log = get_logger("simulate.clickstream")

DEVICE_WEIGHTS = tuple(accumulate((0.5, 0.3, 0.2)))  # cumulative, for random.choices
IST = timezone(timedelta(hours=5, minutes=30))
# Share of sessions starting in each UTC hour: quiet nights, busy evenings.
HOUR_WEIGHTS = tuple(accumulate((2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 6, 6, 6, 6, 6, 7, 8, 9, 10, 9, 7, 5, 3)))
# Next event type given the current one: the shopping funnel (cumulative weights).
FUNNEL = {
    current: (choices, tuple(accumulate(weights)))
    for current, (choices, weights) in {
        "search": (("view", "search"), (0.85, 0.15)),
        "view": (("view", "click", "add_to_cart", "search"), (0.45, 0.35, 0.1, 0.1)),
        "click": (("view", "add_to_cart", "click"), (0.5, 0.35, 0.15)),
        "add_to_cart": (("view", "search"), (0.7, 0.3)),
    }.items()
}
SEARCH_TERMS = sorted(
    {noun.lower() for nouns in NOUNS.values() for noun in nouns}
    | {f"{brand.lower()} {category}" for category, (brands, _) in CATEGORIES.items() for brand in brands}
)
BAD_TIMESTAMPS = ("2026-13-45T25:61:00Z", "not-a-date", "", 1767225600, "2026-01-05 10:00:00")
DEFECTS = ("malformed_json", "missing_fields", "bad_timestamp", "duplicate")


@dataclass
class ProducedCounts:
    """What :func:`produce_clickstream` sent (messages = events + defects as extra records)."""

    messages: int = 0
    malformed_json: int = 0
    missing_fields: int = 0
    missing_timestamp: int = 0  # the part of missing_fields that lost its timestamp
    bad_timestamp: int = 0
    duplicates: int = 0
    delivery_failures: int = 0

    @property
    def expected_quarantined(self) -> int:
        """Messages the consumer cannot place (not JSON, no usable timestamp)."""
        return self.malformed_json + self.missing_timestamp + self.bad_timestamp

    def as_dict(self) -> dict[str, int]:
        """Every count plus ``expected_quarantined``: what the commands print and log, so a run's quarantine can be
        checked against what was injected."""
        return {**asdict(self), "expected_quarantined": self.expected_quarantined}


class SessionGenerator:
    """Deterministic (for a seed) stream of event dicts in time order over the given days."""

    def __init__(self, seed: int = master.DEFAULT_SEED, n_products: int = master.DEFAULT_PRODUCTS,
                 n_customers: int = master.DEFAULT_CUSTOMERS):
        """Draw sessions for ``n_customers`` customers over ``n_products`` products (the ids of the seeded master
        data, so references hold); the same seed gives the same stream."""
        self.rng = random.Random(seed)
        self.n_products = n_products
        self.n_customers = n_customers

    def _product(self) -> str:
        return master.product_id(int(self.n_products * self.rng.random() ** 2.5) + 1)

    def _session(self, start: datetime) -> Iterator[tuple[datetime, dict]]:
        rng = self.rng
        user = master.customer_id(rng.randint(1, self.n_customers))
        device = rng.choices(DEVICES, cum_weights=DEVICE_WEIGHTS)[0]
        session = f"s-{rng.getrandbits(48):012x}"
        tz = UTC if device == "web" else IST
        event_type = "search" if rng.random() < 0.3 else "view"
        product = self._product()
        moment = start
        for _ in range(max(1, int(rng.expovariate(1 / 6)))):
            if event_type == "view" or (event_type == "search" and rng.random() < 0.2):
                product = self._product()
            term = rng.choice(SEARCH_TERMS) if event_type == "search" else None
            yield moment, {
                "event_id": f"e-{rng.getrandbits(64):016x}",
                "user_id": user,
                "session_id": session,
                "event_type": event_type,
                "product_id": None if event_type == "search" else product,
                "search_term": term,
                "device": device,
                "timestamp": moment.astimezone(tz).isoformat(timespec="milliseconds"),
            }
            moment += timedelta(seconds=rng.uniform(3, 90))
            choices, weights = FUNNEL[event_type]
            event_type = rng.choices(choices, cum_weights=weights)[0]

    def events(self, n_events: int, days: Sequence[date]) -> Iterator[dict]:
        """``n_events`` events spread evenly over ``days``, sorted by time within each day."""
        for index, day in enumerate(days):
            quota = n_events // len(days) + (1 if index < n_events % len(days) else 0)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            batch: list[tuple[datetime, dict]] = []
            while len(batch) < quota:
                hour = self.rng.choices(range(24), cum_weights=HOUR_WEIGHTS)[0]
                start = midnight + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600))
                for moment, event in self._session(start):
                    batch.append((moment, event))
                    if len(batch) == quota:
                        break
            batch.sort(key=lambda pair: pair[0])
            for _, event in batch:
                yield event


def dirty_messages(events: Iterator[dict], dirty_rate: float, seed: int,
                   counts: ProducedCounts) -> Iterator[tuple[bytes | None, bytes]]:
    """Encode events as (key, value) messages, injecting defects at ``dirty_rate``."""
    rng = random.Random(seed + 3)
    # A producer re-sends what it sent lately: duplicates come from the last 1000 clean messages, so
    # each day gets its share of them (not only the first day of a multi-day run).
    recent: deque[tuple[bytes | None, bytes]] = deque(maxlen=1000)
    for event in events:
        defect = rng.choice(DEFECTS) if dirty_rate and rng.random() < dirty_rate else None
        if defect == "missing_fields":
            dropped = rng.sample(["user_id", "session_id", "product_id", "event_type", "timestamp"], rng.randint(1, 2))
            for name in dropped:
                event.pop(name, None)
            counts.missing_fields += 1
            counts.missing_timestamp += "timestamp" in dropped
        elif defect == "bad_timestamp":
            event["timestamp"] = rng.choice(BAD_TIMESTAMPS)
            counts.bad_timestamp += 1
        key = event["user_id"].encode() if event.get("user_id") else None
        value = orjson.dumps(event)
        if defect == "malformed_json":
            value = rng.choice((value[: len(value) // 2], value.replace(b'":', b'" ', 1), b"\xff\xfe" + value))
            counts.malformed_json += 1
        message = (key, value)
        yield message
        if defect is None:
            recent.append(message)
        if defect == "duplicate" and recent:
            counts.duplicates += 1
            yield recent[rng.randrange(len(recent))]


def produce_clickstream(
    settings: Settings,
    n_events: int,
    days: Sequence[date],
    seed: int = master.DEFAULT_SEED,
    dirty_rate: float = 0.0,
    topic: str | None = None,
    rate: float | None = None,
    incident: Incident | None = None,
) -> ProducedCounts:
    """Produce ``n_events`` generated events (plus injected defects) and wait for delivery.

    ``rate`` (messages per second) paces the stream like live traffic; None sends as fast as possible.
    ``incident`` changes the events of its day (:mod:`recomart_assets.simulate.incidents`).
    """
    topic = topic or settings.clickstream_topic
    counts = ProducedCounts()

    def delivered(err, _msg) -> None:
        if err is not None:
            counts.delivery_failures += 1

    producer = Producer(settings.kafka_config(**{"linger.ms": 50, "batch.num.messages": 10_000,
                                                 "queue.buffering.max.messages": 200_000}))
    events = apply_to_events(incident, SessionGenerator(seed).events(n_events, days))
    started = time.monotonic()
    for key, value in dirty_messages(events, dirty_rate, seed, counts):
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=delivered)
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.1)
        counts.messages += 1
        if counts.messages % 10_000 == 0:
            producer.poll(0)
        if rate and counts.messages % 100 == 0:
            producer.poll(max(0.0, started + counts.messages / rate - time.monotonic()))
    remaining = producer.flush(60)
    counts.delivery_failures += remaining
    if counts.delivery_failures:
        raise ServiceUnavailable(f"{counts.delivery_failures} clickstream messages were not delivered to {topic}")
    log.info("produced %d clickstream messages to %s over %d day(s): %s", counts.messages, topic, len(days),
             counts.as_dict())
    return counts


def recent_days(n_days: int, today: date | None = None) -> list[date]:
    """The ``n_days`` full UTC days before ``today`` (oldest first): closed, sealable days."""
    today = today or datetime.now(UTC).date()
    return [today - timedelta(days=n_days - i) for i in range(n_days)]
