"""DAGSTER_HOME is created with the default dagster.yaml, and an existing one is kept."""

from recomart_assets.config import Settings
from recomart_assets.platform.instance import DEFAULT_INSTANCE_YAML, ensure_dagster_home


def test_dagster_home_is_created_once_and_kept(tmp_path):
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")})
    home = ensure_dagster_home(settings)
    assert home.is_absolute() and (home / "dagster.yaml").read_text() == DEFAULT_INSTANCE_YAML
    (home / "dagster.yaml").write_text("# mine\n")
    assert ensure_dagster_home(settings) == home and (home / "dagster.yaml").read_text() == "# mine\n"


def test_the_default_instance_runs_one_landing_run_per_pool_at_a_time(tmp_path):
    from dagster._core.instance.config import PoolGranularity

    from recomart_assets.platform.instance import persistent_instance

    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")})
    with persistent_instance(settings) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert (pools.default_pool_limit, pools.pool_granularity) == (1, PoolGranularity.RUN)
        assert instance.event_log_storage.supports_global_concurrency_limits
