"""``python -m recomart_assets ...`` is ``recomart ...`` (for child processes without the script on PATH)."""

from recomart_assets.cli import main

main()
