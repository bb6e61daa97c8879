"""mypy passes (configuration in pyproject.toml; also run on its own by `make test`), so a
type error shows up in the test run of whoever introduces it."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mypy_passes():
    mypy = Path(sys.executable).with_name("mypy")

    result = subprocess.run([str(mypy)], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_mypy_checks_every_project_app():
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]

    assert {"intelipro", *settings.PROJECT_APPS} <= set(mypy["files"])
