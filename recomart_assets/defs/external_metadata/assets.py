"""The ``external_metadata`` asset: one pull of the third-party metadata API per day.

Partition ``D`` asks the API for the values ``as_of=D`` (so a backfill re-pulls a past day) through
the same implementation as ``recomart pull-metadata``; the raw-zone IO manager writes the snapshot
``external_metadata/D/`` and refreshes ``external_metadata.csv`` unless that holds a newer day.
Records outside the schema's types go to ``quarantine/external_metadata/D/`` with their reason
before the snapshot is written. When the API cannot be read the step fails with the URL, the error and the attempts made, and
nothing is written. Retry budget and timeouts are run config (:class:`MetadataPullConfig`, derived from
:class:`~recomart_assets.sources.http.pull.PullOptions`).
"""

from dagster import AssetExecutionContext, Failure, asset

from recomart_assets.datasets import EXTERNAL_METADATA
from recomart_assets.defs.shared.automation import EXTERNAL_METADATA_CRON, pull_on_cron
from recomart_assets.defs.shared.options import config_from_options
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.defs.shared.specs import asset_args
from recomart_assets.lake.frames import LakeFrame, frame_writer
from recomart_assets.logs import ingestion_run
from recomart_assets.sources.http.metadata_api import DATASET, MetadataPullError, fetch_metadata, store_rejects
from recomart_assets.sources.http.pull import PullOptions


class MetadataPullConfig(config_from_options(PullOptions)):  # type: ignore[misc]
    """Per-run overrides of :class:`PullOptions` (seconds throughout): the same fields, defaults and help."""


@asset(**asset_args(EXTERNAL_METADATA, io_manager=True, automation_condition=pull_on_cron(EXTERNAL_METADATA_CRON)))
def external_metadata(
    context: AssetExecutionContext, config: MetadataPullConfig, recomart: RecomartResource
) -> LakeFrame:
    """One day's product metadata pulled from the REST API; rejected records go to quarantine, the rest to the IO manager."""
    settings = recomart.settings()
    with ingestion_run(DATASET, context.log, partition=context.partition_key, url=settings.metadata_api_url) as run:
        try:
            pulled = fetch_metadata(settings, context.partition_key, config.options())
        except MetadataPullError as exc:
            raise Failure(
                description=str(exc), metadata={"url": exc.url, "error": exc.error, "attempts": exc.attempts}
            ) from exc
        zone = recomart.zone()
        with frame_writer(zone, DATASET, context.partition_key):  # the IO manager then writes the snapshot
            store_rejects(zone, context.partition_key, pulled)
        run.counts.update(records=len(pulled.frame), quarantined=len(pulled.rejects), pages=pulled.source.pages,
                          attempts=pulled.source.attempts)
    return pulled
