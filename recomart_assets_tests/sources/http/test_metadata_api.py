"""The pull against the real simulated server: snapshots, manifests, retries, deadlines, failing safely."""

import socket
import time
from dataclasses import replace

import pandas as pd
import pytest
from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import read_manifest, read_verified_bytes, verify_tree
from recomart_assets.simulate.metadata_server import Faults
from recomart_assets.sources.http.metadata_api import MetadataPullError, pull_metadata
from recomart_assets_tests.fixtures.metadata_api import FAST, PRODUCTS, SLOW_MS

pytestmark = pytest.mark.integration

DAY = "2026-01-05"
PAGES = 3


def _files(zone, day=DAY):
    snapshot = zone.root / "external_metadata" / day / f"external_metadata_{day}.csv"
    return [snapshot, snapshot.with_name(snapshot.name + ".manifest"), zone.latest_file("external_metadata"),
            zone.root / "external_metadata.csv.manifest"]


def _contents(paths):
    return {str(p): p.read_bytes() for p in paths}


def test_pull_writes_snapshot_then_latest_with_lineage(zone, clean_api, api_settings):
    manifest = pull_metadata(api_settings(clean_api), DAY, FAST)
    snapshot, _, latest, _ = _files(zone)
    assert manifest.file == snapshot.name and manifest.record_count == PRODUCTS
    frame = pd.read_csv(snapshot)
    assert frame["product_id"].is_unique and set(frame["as_of"]) == {DAY}
    assert read_verified_bytes(latest) == snapshot.read_bytes()
    source = read_manifest(latest).source
    assert source.url == clean_api + "/products/metadata"
    assert (source.as_of, source.pages, source.attempts) == (DAY, PAGES, PAGES)
    assert source.snapshot == snapshot.name
    assert source.fetched_at and source.fetch_seconds >= 0
    assert verify_tree(zone.root).ok


def test_backfill_of_an_older_day_keeps_the_newer_latest(zone, clean_api, api_settings):
    settings = api_settings(clean_api)
    pull_metadata(settings, "2026-01-10", FAST)
    pull_metadata(settings, "2026-01-03", FAST)
    assert read_manifest(zone.latest_file("external_metadata")).partition == "2026-01-10"
    older = read_manifest(zone.root / "external_metadata" / "2026-01-03" / "external_metadata_2026-01-03.csv")
    assert older.source.as_of == "2026-01-03"


def test_success_under_faults_the_retry_budget_covers(zone, metadata_api, api_settings):
    # Half the requests fail (every kind of transient fault) on top of some latency, but never more
    # than twice in a row for the same request, so three attempts always suffice.
    faults = Faults(fail_rate=0.15, rate_limit_rate=0.05, retry_after=1, slow_rate=0.05, slow_ms=SLOW_MS,
                    truncate_rate=0.1, malformed_rate=0.15, latency_ms=50, burst=2, seed=3)
    manifest = pull_metadata(api_settings(metadata_api(faults)), DAY, FAST)
    assert manifest.record_count == PRODUCTS
    assert manifest.source.attempts > PAGES
    assert sum(manifest.source.failed_attempts.values()) == manifest.source.attempts - PAGES


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        (Faults(fail_rate=1.0, burst=1), "http_50"),
        (Faults(truncate_rate=1.0, burst=1), "truncated"),
        (Faults(malformed_rate=1.0, burst=1), "malformed_json"),
        (Faults(slow_rate=1.0, slow_ms=SLOW_MS, burst=1), "ReadTimeout"),
    ],
    ids=["5xx", "truncated", "malformed", "slow"],
)
def test_each_transient_fault_is_retried(zone, metadata_api, api_settings, faults, kind):
    manifest = pull_metadata(api_settings(metadata_api(faults)), DAY, replace(FAST, page_size=125))
    assert manifest.record_count == PRODUCTS
    assert manifest.source.attempts == 2 * 2  # two pages, each failing once
    failures = manifest.source.failed_attempts
    assert sum(failures.values()) == 2 and all(k.startswith(kind) for k in failures)


def test_retry_after_is_honoured(zone, metadata_api, api_settings):
    # Every page is first refused with Retry-After: 1, and any request inside that second is
    # refused again. The client's own backoff is a few milliseconds: only by waiting what
    # Retry-After asks does the second attempt get through.
    url = metadata_api(Faults(rate_limit_rate=1.0, retry_after=1, burst=1))
    manifest = pull_metadata(api_settings(url), DAY, FAST)
    assert manifest.source.attempts == 2 * PAGES
    assert manifest.source.failed_attempts == {"http_429": PAGES}


@pytest.fixture
def failing_api(metadata_api):
    return metadata_api(Faults(fail_rate=1.0))


def test_failure_leaves_previous_files_byte_identical(zone, clean_api, failing_api, api_settings):
    pull_metadata(api_settings(clean_api), DAY, FAST)
    before = _contents(_files(zone))
    url = failing_api
    with pytest.raises(MetadataPullError) as failure:
        pull_metadata(api_settings(url), DAY, FAST)
    message = str(failure.value)
    assert f"GET {url}/products/metadata?as_of={DAY}&page=1&page_size=100 failed after 3 attempts: HTTP 50" in message
    assert _contents(_files(zone)) == before
    assert verify_tree(zone.root).ok


def test_token_is_used_but_never_written(zone, metadata_api, api_settings):
    url = metadata_api(token="tok-s3cret-42")
    with pytest.raises(MetadataPullError, match="after 1 attempt: HTTP 401"):
        pull_metadata(api_settings(url), DAY, FAST)
    pull_metadata(api_settings(url, token="tok-s3cret-42"), DAY, FAST)
    written = b"".join(p.read_bytes() for p in zone.root.rglob("*") if p.is_file())
    assert b"external_metadata" in written and b"tok-s3cret-42" not in written


def test_command_exit_codes(zone, clean_api, failing_api, api_settings):
    settings = api_settings(clean_api)
    env = {"RECOMART_RAW_ZONE": settings.raw_zone, "RECOMART_METADATA_API_URL": clean_api}
    ok = CliRunner().invoke(main, ["pull-metadata", "--date", DAY, "--page-size", "100"], env=env)
    assert ok.exit_code == 0, ok.output
    assert f"{PRODUCTS} products in {PAGES} page(s)" in ok.output
    env["RECOMART_METADATA_API_URL"] = failing_api
    failed = CliRunner().invoke(
        main, ["pull-metadata", "--date", DAY, "--attempts", "2", "--read-timeout", "2", "--deadline", "3"], env=env
    )
    assert failed.exit_code == 1
    assert "failed after 2 attempts: HTTP 50" in failed.output


# Every dripped byte arrives well within the read timeout (2 s): only the deadline can stop the request.
DEADLINE = replace(FAST, deadline=1.0)


def test_a_slow_drip_body_is_cut_at_the_deadline(zone, metadata_api, api_settings):
    url = metadata_api(Faults(drip_rate=1.0, drip_bytes_per_second=1))
    started = time.monotonic()
    with pytest.raises(MetadataPullError) as failure:
        pull_metadata(api_settings(url), DAY, DEADLINE)
    elapsed = time.monotonic() - started
    # Without the deadline this pull would take hours (a page is tens of kilobytes at 1 byte/s).
    assert elapsed < DEADLINE.deadline * DEADLINE.attempts + 5.0
    assert failure.value.attempts == DEADLINE.attempts
    assert "failed after 3 attempts: request deadline of 1 s passed (HTTP 200 headers and" in str(failure.value)
    assert not (zone.root / "external_metadata" / DAY).exists()


def test_a_request_cut_at_the_deadline_is_retried(zone, metadata_api, api_settings):
    url = metadata_api(Faults(drip_rate=1.0, drip_bytes_per_second=1, burst=1))
    manifest = pull_metadata(api_settings(url), DAY, replace(DEADLINE, page_size=125))
    assert manifest.record_count == PRODUCTS
    assert manifest.source.failed_attempts == {"deadline": 2}


def test_a_server_that_never_answers_is_cut_at_the_deadline(zone, api_settings):
    # The kernel completes the handshake and takes the request; nobody ever reads or answers it.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        options = replace(DEADLINE, read_timeout=60.0, deadline=0.5, attempts=2)
        started = time.monotonic()
        with pytest.raises(MetadataPullError, match=r"after 2 attempts: request deadline of 0.5 s passed "
                                                     r"\(no response headers received\)"):
            pull_metadata(api_settings(url), DAY, options)
    assert time.monotonic() - started < options.deadline * options.attempts + 5.0
