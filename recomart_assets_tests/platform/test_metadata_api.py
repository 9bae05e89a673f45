"""Supervising the simulated metadata API: a configured (non-default) API is never started or touched.
(The command as a subprocess is exercised in ``simulate/test_metadata_server.py``.)"""

from recomart_assets.config import Settings
from recomart_assets.platform.metadata_api import ensure_metadata_api


def test_ensure_leaves_a_configured_api_alone():
    settings = Settings.from_env({"RECOMART_METADATA_API_URL": "http://127.0.0.1:9"})
    with ensure_metadata_api(settings) as started:
        assert started is False
