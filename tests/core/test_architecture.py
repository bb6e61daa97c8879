"""The import rules of docs/architecture.md: the import-linter contracts of pyproject.toml
hold (also run on their own by `make test`), they cover every app as apps are added, and the
one rule import-linter cannot see holds too: no module imports another module's `_private`
name."""

import ast
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LOWER_LAYERS = {"intelipro", "core", "accounts", "files", "notifications"}


def _importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract(contract_id: str) -> dict:
    return next(c for c in _importlinter()["contracts"] if c["id"] == contract_id)


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")

    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_every_project_app_is_a_root_package_of_the_contracts():
    assert set(_importlinter()["root_packages"]) == {"intelipro", *settings.PROJECT_APPS}


def test_every_domain_app_is_forbidden_to_the_lower_layers():
    contract = _contract("lower-layers")
    domain_apps = set(settings.PROJECT_APPS) - LOWER_LAYERS

    assert set(contract["source_modules"]) == LOWER_LAYERS
    assert domain_apps <= set(contract["forbidden_modules"])


def test_every_app_api_is_protected_and_kept_out_of_the_domain():
    apps_with_api = {a for a in settings.PROJECT_APPS if importlib.util.find_spec(f"{a}.api")}
    protected = {
        module
        for c in _importlinter()["contracts"]
        if c["type"] == "protected"
        for module in c["protected_modules"]
    }

    assert {f"{a}.api" for a in apps_with_api} <= protected
    assert {f"{a}.api" for a in apps_with_api} <= set(
        _contract("domain-not-api")["forbidden_modules"]
    )


def test_no_module_imports_another_modules_private_name():
    offenders = []
    for package in ("intelipro", *settings.PROJECT_APPS):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    offenders += [
                        f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_") and not alias.name.startswith("__")
                    ]

    assert offenders == []
