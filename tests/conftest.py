from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.fixtures.db", "tests.fixtures.sandbox"]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test reads or writes the developer's adsync setup: the home a demo recorded (in the
    user's configuration directory) and a demo's ./dagster_home/adsync.env stay out of reach."""
    root = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "xdg"))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    (root / "dagster_home").mkdir()
    yield
