"""The ``pgproof`` subcommands, one module each."""
