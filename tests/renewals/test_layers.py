"""The layering rules of renewals (STYLE §3), checked on the source: the domain never imports
the API layer, and no module imports another module's private helpers."""

import ast
from pathlib import Path

import renewals

ROOT = Path(renewals.__file__).parent


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def _domain_modules() -> list[Path]:
    return [
        p
        for p in ROOT.rglob("*.py")
        if "api" not in p.relative_to(ROOT).parts and "migrations" not in p.parts
    ]


def test_domain_never_imports_the_api_layer():
    offenders = [
        f"{p.relative_to(ROOT)}: {module}"
        for p in _domain_modules()
        for module, names in _imports(p)
        if module.startswith("renewals.api") or (module == "renewals" and "api" in names)
    ]
    assert offenders == []


def test_no_module_imports_a_private_helper():
    offenders = [
        f"{p.relative_to(ROOT)}: {module}.{name}"
        for p in ROOT.rglob("*.py")
        for module, names in _imports(p)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert offenders == []


def test_case_services_have_no_import_cycle():
    """cases, payments and reminders reach each other only through public functions, and
    the transition module imports none of them."""
    services = ROOT / "services"
    deps = {
        p.stem: {
            m.rsplit(".", 1)[-1]
            for m, _ in _imports(p)
            if m.startswith("renewals.services.") and m != f"renewals.services.{p.stem}"
        }
        for p in services.glob("*.py")
        if p.stem != "__init__"
    }
    assert deps["transitions"] & {"cases", "payments", "reminders"} == set()

    def reaches(start: str, target: str, seen: frozenset = frozenset()) -> bool:
        return any(
            d == target or (d not in seen and reaches(d, target, seen | {d}))
            for d in deps.get(start, ())
        )

    cyclic = sorted(name for name in deps if reaches(name, name))
    assert cyclic == []
