"""Settings: one typed object, every field documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import CLI_FLAGS, ENV_PREFIX, Settings, SettingsError

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", Settings.fields())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{ENV_PREFIX}{name.upper()}`" in README


@pytest.mark.parametrize("flag", CLI_FLAGS)
def test_every_flag_is_documented(flag: str) -> None:
    assert f"`{flag}`" in README


def test_environment_then_overrides() -> None:
    s = Settings.load({"workers": 3}, environ={"SGP_WORKERS": "2", "SGP_WRITE_DEADLINE_S": "1.5", "SGP_DATA_DIR": "x"})
    assert s.workers == 3 and s.write_deadline_s == 1.5 and s.data_dir == Path("x")
    assert s.db_path == Path("x") / "sgp.sqlite3"


def test_defaults() -> None:
    s = Settings.load(environ={})
    assert s.bind == "127.0.0.1:8000" and s.synchronous == "full" and 1 <= s.workers <= 4


@pytest.mark.parametrize(
    "environ",
    [
        {"SGP_WORKERS": "zero"},
        {"SGP_WORKERS": "0"},
        {"SGP_BIND": "nohost"},
        {"SGP_SYNCHRONOUS": "off"},
        {"SGP_WRITE_DEADLINE_S": "-1"},
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.load(environ=environ)
