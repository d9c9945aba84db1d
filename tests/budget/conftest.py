"""Budget cases: derivation files read by the tests here, not collected as derivations."""

collect_ignore_glob = ["files/*"]
