"""DAGSTER_HOME is created with the default dagster.yaml, and an existing one is kept."""

from recomart_assets.config import Settings
from recomart_assets.platform.instance import DEFAULT_INSTANCE_YAML, ensure_dagster_home


def test_dagster_home_is_created_once_and_kept(tmp_path):
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")})
    home = ensure_dagster_home(settings)
    assert home.is_absolute() and (home / "dagster.yaml").read_text() == DEFAULT_INSTANCE_YAML
    (home / "dagster.yaml").write_text("# mine\n")
    assert ensure_dagster_home(settings) == home and (home / "dagster.yaml").read_text() == "# mine\n"
