"""``recomart metadata-api``: the simulated external metadata REST API, with optional injected faults."""

from __future__ import annotations

import click

from recomart_assets.cli.logging_setup import configure_logging
from recomart_assets.config import Settings
from recomart_assets.platform.services import split_host_port
from recomart_assets.simulate.master import DEFAULT_PRODUCTS, DEFAULT_SEED
from recomart_assets.simulate.metadata_server import Faults, create_app, serve
from recomart_assets.simulate.metadata_values import MetadataSource

_rate = click.FloatRange(0.0, 1.0)


@click.command("metadata-api")
@click.option("--host", help="Interface to listen on [default: host of RECOMART_METADATA_API_URL].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [default: port of RECOMART_METADATA_API_URL].")
@click.option("--fail-rate", type=_rate, default=0.0, show_default=True,
              help="Share of requests answered 500/502/503.")
@click.option("--latency-ms", type=click.IntRange(0), default=0, show_default=True,
              help="Delay added to every request.")
@click.option("--rate-limit-rate", type=_rate, default=0.0, show_default=True,
              help="Share of requests answered 429 with Retry-After (and the window after it).")
@click.option("--retry-after", type=click.IntRange(0), default=1, show_default=True,
              help="Retry-After seconds of a 429.")
@click.option("--slow-rate", type=_rate, default=0.0, show_default=True, help="Share of requests delayed by --slow-ms.")
@click.option("--slow-ms", type=click.IntRange(0), default=5000, show_default=True,
              help="Delay of a slow request (make it longer than the client's read timeout).")
@click.option("--drip-rate", type=_rate, default=0.0, show_default=True,
              help="Share of responses whose body is sent at --drip-bytes-per-second (a slow-drip server).")
@click.option("--drip-bytes-per-second", type=click.IntRange(1), default=1, show_default=True,
              help="Speed of a dripped body.")
@click.option("--truncate-rate", type=_rate, default=0.0, show_default=True,
              help="Share of responses whose body is cut off (connection dropped).")
@click.option("--malformed-rate", type=_rate, default=0.0, show_default=True,
              help="Share of responses with unparseable JSON.")
@click.option("--wrong-schema-rate", type=_rate, default=0.0, show_default=True,
              help="Share of responses that are valid JSON of the wrong shape.")
@click.option("--burst", type=click.IntRange(1), default=None,
              help="At most this many injected faults in a row for the same request [default: no limit].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault sequence.")
@click.option("--churn", type=click.IntRange(0), default=0, show_default=True,
              help="Products deleted and as many appended right after each answer to a first page.")
@click.option("--offset-only", is_flag=True, help="Page by offset only: no next_cursor (like many third parties).")
@click.option("--products", type=click.IntRange(1), default=DEFAULT_PRODUCTS, show_default=True,
              help="Catalog size (same seeded catalog as `recomart simulate master`).")
@click.option("--catalog-seed", type=int, default=DEFAULT_SEED, show_default=True)
@click.option("--dirty-rate", type=_rate, default=0.0, show_default=True,
              help="Share of records with a defective value (null, out of range).")
def command(
    host: str | None, port: int | None, products: int, catalog_seed: int, dirty_rate: float, **faults: object
) -> None:
    """Run the simulated external metadata REST API in the foreground.

    GET /products/metadata?as_of=YYYY-MM-DD&page=N&page_size=S; the OpenAPI document is at
    /openapi.json. When RECOMART_METADATA_API_TOKEN is set, requests need that bearer token.
    """
    settings = Settings.from_env()
    default_host, default_port = split_host_port(settings.metadata_api_url, 80)
    try:
        fault_config = Faults(**faults)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    token = settings.metadata_api_token.get_secret_value() if settings.metadata_api_token else None
    app = create_app(MetadataSource(catalog_seed, products, dirty_rate), fault_config, token)
    serve(host or default_host, port or default_port, app)


if __name__ == "__main__":  # how ensure_metadata_api and the test fixtures start it (without the whole CLI's imports)
    configure_logging(Settings.from_env())
    command()
