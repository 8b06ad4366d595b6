"""docs/settings.md lists every setting the code declares, and every variable it reads."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pdsync import config as pdconfig
from pdsync.emulator.config import EmulatorConfig

from .scripts import DOCS, ROOT, load_script

gen = load_script("gen_settings_doc")
ENV_NAME = re.compile(r"\b(?:PDSYNC|PIPEDRIVE)_[A-Z0-9_]*[A-Z0-9]\b")


def _string_constants(path: Path) -> str:
    """Every string literal of a module (docstrings and f-string parts included).

    Only strings count: `PDSYNC_COLUMNS` the Python constant is not a variable anyone sets.
    """
    tree = ast.parse(path.read_text("utf-8"))
    return "\n".join(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _variables_named_in(directory: Path) -> set[str]:
    names: set[str] = set()
    for path in directory.rglob("*.py"):
        names |= set(ENV_NAME.findall(_string_constants(path)))
    # A name that is only a prefix in the code (f"PIPEDRIVE_OAUTH_{...}") is not a variable.
    return {n for n in names if not n.endswith("_")}


@pytest.fixture(scope="module")
def doc() -> str:
    return (DOCS / "settings.md").read_text("utf-8")


def test_settings_doc_is_up_to_date(doc: str) -> None:
    assert doc == gen.render(), f"docs/settings.md is stale: run {gen.REGENERATE}"


def test_every_variable_the_code_names_is_documented(doc: str) -> None:
    names = _variables_named_in(ROOT / "src" / "pdsync")
    names |= {spec.env for spec in pdconfig.SETTINGS.values()}  # built as PDSYNC_<NAME>
    assert "PDSYNC_TARGET" in names and "PIPEDRIVE_OAUTH_TOKEN_URL" in names
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"add to scripts/gen_settings_doc.py: {missing}"


def test_every_documented_variable_exists_in_the_code(doc: str) -> None:
    in_code = _variables_named_in(ROOT / "src" / "pdsync") | _variables_named_in(ROOT / "tests")
    in_code |= {spec.env for spec in pdconfig.SETTINGS.values()}
    for name in set(ENV_NAME.findall(doc)):
        assert name in in_code, f"docs/settings.md names {name}, which no code reads"
    strings = "\n".join(_string_constants(p) for p in (ROOT / "src").rglob("*.py"))
    for name in gen.OTHER_ENV:  # the hand-written list, non-pdsync names included
        assert re.search(rf"\b{name}\b", strings), f"{name} is documented but never read"


def test_every_declared_key_has_a_row(doc: str) -> None:
    for spec in pdconfig.SETTINGS.values():
        assert f"| `{spec.env}` | `{spec.name}` |" in doc
    for field in pdconfig.CONNECTION_FIELDS:
        assert f"| `{pdconfig.CONNECTION_ENV[field]}` |" in doc
    for name in EmulatorConfig.__dataclass_fields__:
        assert f"| `{name}` |" in doc
    assert "| `disabled` | `streams: {name: …}` |" in doc
    assert "| `backoff_max` | `600.0` |" in doc


def test_an_undescribed_setting_stops_the_generator() -> None:
    with pytest.raises(gen.MissingDescription, match="new_field"):
        gen.described(["seed", "new_field"], gen.EMULATOR_HELP, "emulator field")
