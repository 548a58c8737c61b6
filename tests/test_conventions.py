"""House rules, checked: import direction, one test table per provider, every flow and
criteria file loads, every message key the code uses exists, modules stay small."""

import ast
import re
from pathlib import Path

import pytest

from flows.loading import FLOWS_DIR, load_all_criteria, load_flow
from messages_vi.render import Catalog
from webhooks.registry import PROVIDERS

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("bot", "flows", "messages_vi", "storage", "webhooks")
# What each layer may import, of the project's own packages.
ALLOWED = {
    "flows": set(),
    "messages_vi": set(),
    "storage": set(),
    "webhooks": set(),
    "bot": {"flows", "messages_vi", "storage", "webhooks"},
}
# The pure layers may not reach for I/O or frameworks either.
FORBIDDEN_LIBRARIES = {
    "flows": {"flask", "sqlalchemy", "requests", "alembic", "apscheduler", "socket", "urllib"},
    "messages_vi": {"flask", "sqlalchemy", "requests", "alembic", "apscheduler", "socket", "urllib"},
}
CLOCK_READS = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")


def python_files(layer: str):
    return sorted((ROOT / layer).rglob("*.py"))


def imported_top_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_import_direction(layer):
    offenders = []
    for path in python_files(layer):
        names = imported_top_names(path)
        own = (names & set(LAYERS)) - {layer} - ALLOWED[layer]
        libraries = names & FORBIDDEN_LIBRARIES.get(layer, set())
        if own or libraries:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(own | libraries)}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("layer", ["flows", "messages_vi"])
def test_pure_layers_never_read_the_clock(layer):
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in python_files(layer)
                 for m in CLOCK_READS.finditer(p.read_text(encoding="utf-8"))]
    assert not offenders, offenders


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_every_provider_has_its_folder_and_test_table(name):
    module = PROVIDERS[name]
    assert module.NAME == name
    assert callable(module.make_blueprint) and callable(module.make_channel)
    assert (ROOT / "webhooks" / name).is_dir()
    assert (ROOT / "tests" / "webhooks" / f"test_{name}.py").is_file()


def test_every_flow_and_criteria_file_loads():
    flows = [load_flow(p) for p in sorted(FLOWS_DIR.glob("*.toml"))]
    assert [f.id for f in flows] == ["registration"]
    assert load_all_criteria()


def _message_keys_used() -> set[str]:
    """Keys named in the engine (say/Send/"msg") and in flow definitions (ask/say)."""
    keys = set()
    for path in python_files("flows") + python_files("bot"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'(?:say|Send)\(\s*"([a-z_]+\.[a-z_.]+|[a-z_]+)"', text))
        keys |= set(re.findall(r'"msg": "([a-z_]+\.[a-z_.]+)"', text))
        for prefix in re.findall(r'f"(hint|expect|pending|where|verdict|standing)\.\{', text):
            keys.add(prefix + ".*")
    for path in FLOWS_DIR.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r'^ask = "([^"]+)"', text, re.M))
        keys |= set(re.findall(r'= "((?:registration|assessment)\.[a-z_.]+)"', text))
    return keys


def test_every_message_key_used_exists():
    catalog = set(Catalog.load().keys())
    used = _message_keys_used()
    assert len(used) > 30
    missing = sorted(k for k in used if not k.endswith(".*") and k not in catalog)
    families = sorted(k for k in used if k.endswith(".*")
                      and not any(c.startswith(k[:-1]) for c in catalog))
    assert not missing and not families, (missing, families)


def test_every_hint_a_reader_can_give_has_a_message():
    catalog = set(Catalog.load().keys())
    source = "".join(p.read_text(encoding="utf-8") for p in python_files("flows"))
    problems = set(re.findall(r'problem="([a-z_]+)"', source)) | {"unknown", "unsure"}
    assert not {p for p in problems if f"hint.{p}" not in catalog}
    from flows.model import ANSWER_TYPES
    assert not {t for t in ANSWER_TYPES if f"expect.{t}" not in catalog}


def test_modules_stay_small():
    big = [f"{p.relative_to(ROOT)}: {n} lines" for layer in LAYERS for p in python_files(layer)
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert not big, big
