"""DAGSTER_HOME is created with the default dagster.yaml, and an existing one is kept."""

from recomart_assets.config import Settings
from recomart_assets.platform.instance import DEFAULT_INSTANCE_YAML, ensure_dagster_home


def test_dagster_home_is_created_once_and_kept(tmp_path):
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")})
    home = ensure_dagster_home(settings)
    assert home.is_absolute() and (home / "dagster.yaml").read_text() == DEFAULT_INSTANCE_YAML
    (home / "dagster.yaml").write_text("# mine\n")
    assert ensure_dagster_home(settings) == home and (home / "dagster.yaml").read_text() == "# mine\n"


def test_the_default_instance_runs_one_landing_step_per_pool_at_a_time(tmp_path):
    from recomart_assets.platform.instance import persistent_instance

    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")})
    with persistent_instance(settings) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        for pool in ("landing_transactions", "landing_clickstream"):  # what a step of the pool does first
            storage.initialize_concurrency_limit_to_default(pool)
        first = storage.claim_concurrency_slot("landing_transactions", "run-1", "transactions")
        second = storage.claim_concurrency_slot("landing_transactions", "run-2", "transactions")
        other = storage.claim_concurrency_slot("landing_clickstream", "run-3", "land_clickstream_export")
        assert (first.is_claimed, second.is_claimed, other.is_claimed) == (True, False, True)
