from tests.soundness.conftest import check_text  # noqa: F401 - the same fixture
