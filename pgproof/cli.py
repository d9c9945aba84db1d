"""The ``pgproof`` command line."""


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("pgproof: not yet implemented")
