"""The hostile corpus: files/ holds fixtures (run by the tests here), not tests."""

collect_ignore_glob = ["files/*"]
