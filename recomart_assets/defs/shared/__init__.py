"""What every area shares: the settings resource and what every run gets (``runs.py``), the
raw-zone IO manager, partitions, asset arguments from a spec, landing decisions and the automation
sensor. Dagster's loader (``load_from_defs_folder``) finds each module's definitions itself."""
