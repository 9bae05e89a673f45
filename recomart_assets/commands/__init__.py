"""One module per ``recomart`` subcommand: thin click wrappers over the shared implementation."""
