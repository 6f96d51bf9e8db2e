"""The error tree: every exception the package defines is in it, drawn as it really is."""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from pathlib import Path

import wom_sdk
from wom_sdk import _exceptions

ROOT = Path(__file__).parents[3]
#: Exceptions that never reach a caller: a signal from one private module to another,
#: caught where it is raised (``_outputs.validate_output`` -> ``_llm``'s re-ask loop).
#: Exceptions that never reach a caller: a batch's review stopped by its budget or its
#: cancel event is caught by the drivers (no result: a later run does it).
INTERNAL = {"wom_sdk._tasks._outputs.OutputInvalid", "wom_sdk._pricing.BudgetExhausted",
            "wom_sdk._retry.RequestCancelled"}
_NODE = re.compile(r"^(?P<prefix>[│├└─ ]*)(?P<name>\w+)")


def _drawn(tree: str) -> dict[str, str | None]:
    """Each class in a drawn tree -> its drawn parent (None for the root)."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in tree.splitlines():
        m = _NODE.match(line)
        assert m, line
        depth = len(m["prefix"]) // 4
        del path[depth:]
        parents[m["name"]] = path[-1] if path else None
        path.append(m["name"])
    return parents


def _docstring_tree() -> str:
    doc = _exceptions.__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(block)


def _package_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in wom_sdk, by ``module.qualname`` where defined."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(wom_sdk.__path__, "wom_sdk."):
        if info.name.endswith("__main__"):
            continue  # importing it would run the command
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, BaseException) and (
                    obj.__module__ == "wom_sdk" or obj.__module__.startswith("wom_sdk.")):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_exception_the_package_defines_is_a_drawn_wom_error() -> None:
    drawn = _drawn(_docstring_tree())
    found = _package_exceptions()
    assert found.keys() >= INTERNAL, "an internal exception is gone: update INTERNAL"
    public = {cls for key, cls in found.items() if key not in INTERNAL}
    assert {cls.__name__ for cls in public} == set(drawn)
    for cls in public:
        assert issubclass(cls, wom_sdk.WomError), cls
        # Exported from the package, shown as wom_sdk.X in tracebacks.
        assert getattr(wom_sdk, cls.__name__) is cls, cls
        assert cls.__module__ == "wom_sdk", cls
        assert cls.__doc__, f"{cls}: no docstring"
        assert "\n" not in cls.__doc__.strip(), f"{cls}: one-line docstring"
    for key in INTERNAL:
        assert not hasattr(wom_sdk, key.rsplit(".", 1)[1])


def test_the_drawing_matches_the_classes() -> None:
    for name, parent in _drawn(_docstring_tree()).items():
        cls = getattr(wom_sdk, name)
        if parent is None:
            assert cls is wom_sdk.WomError
        else:
            # The first base is the parent in the tree; a second one is the builtin
            # that callers may already catch (ValueError, OSError, ImportError).
            assert cls.__bases__[0] is getattr(wom_sdk, parent), name
            assert all(not issubclass(b, wom_sdk.WomError) for b in cls.__bases__[1:]), name


def test_builtins_that_callers_may_already_catch() -> None:
    assert issubclass(wom_sdk.InputError, ValueError)
    assert issubclass(wom_sdk.PricesError, ValueError)
    assert issubclass(wom_sdk.PricesError, wom_sdk.ConfigurationError)
    assert issubclass(wom_sdk.OutputBusyError, OSError)
    assert issubclass(wom_sdk.LocalExtraMissingError, ImportError)
    local = importlib.import_module("wom_sdk.local")
    assert local.LocalServerError is wom_sdk.LocalServerError
    assert local.LocalExtraMissingError is wom_sdk.LocalExtraMissingError


def test_the_readme_draws_the_same_tree() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Errors", 1)[1]
    block = section.split("```\n", 2)[1]
    assert block.rstrip("\n") == _docstring_tree().rstrip("\n")
