"""The public API changes only on purpose: every package's ``__all__`` is pinned.

``tests/public_api_snapshot.json`` holds the ``__all__`` of every labelwise package. When
this test fails, either undo the accidental change or, if the change is deliberate (a new
public name, a removal after its deprecation release), regenerate the snapshot with::

    python tests/test_api_snapshot.py --update

and commit it with the change, saying in the commit message why the API changed.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import sys
from pathlib import Path

import labelwise

SNAPSHOT = Path(__file__).with_name("public_api_snapshot.json")


def live_api() -> dict[str, list[str]]:
    """``package -> sorted __all__`` for labelwise and every package below it."""
    out: dict[str, list[str]] = {"labelwise": sorted(labelwise.__all__)}
    for info in pkgutil.walk_packages(labelwise.__path__, "labelwise."):
        if not info.ispkg:
            continue
        mod = importlib.import_module(info.name)
        out[info.name] = sorted(getattr(mod, "__all__", []))
    return dict(sorted(out.items()))


def test_public_api_matches_the_snapshot():
    pinned = json.loads(SNAPSHOT.read_text())
    live = live_api()
    problems = []
    for pkg in sorted(set(pinned) | set(live)):
        added = sorted(set(live.get(pkg, [])) - set(pinned.get(pkg, [])))
        removed = sorted(set(pinned.get(pkg, [])) - set(live.get(pkg, [])))
        if pkg not in live:
            problems.append(f"{pkg}: package is gone")
        elif pkg not in pinned:
            problems.append(f"{pkg}: new package with __all__ {live[pkg]}")
        if added:
            problems.append(f"{pkg}: added {added}")
        if removed:
            problems.append(f"{pkg}: removed {removed}")
    assert not problems, (
        "the public API changed:\n  "
        + "\n  ".join(problems)
        + "\nIf this is on purpose, run `python tests/test_api_snapshot.py --update` and "
        "commit tests/public_api_snapshot.json with the change."
    )


def test_every_package_has_a_sorted_all():
    for pkg, names in live_api().items():
        mod = importlib.import_module(pkg)
        assert hasattr(mod, "__all__"), f"{pkg} has no __all__"
        missing = [n for n in names if not hasattr(mod, n)]
        assert not missing, f"{pkg}.__all__ names missing attributes: {missing}"


def test_text_does_not_import_embed():
    """The layers point one way: embed builds on text, never the other way round."""
    root = Path(labelwise.__file__).parent / "text"
    offenders = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            mods = []
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            offenders += [f"{path.name}: {m}" for m in mods if m.startswith("labelwise.embed")]
    assert not offenders, f"labelwise.text imports labelwise.embed: {offenders}"


def test_helpers_moved_out_of_roots_still_import_with_a_warning():
    import warnings

    import labelwise.embed
    import labelwise.learn
    import labelwise.text
    from labelwise.labeling.scoring import softmax

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert labelwise.embed.softmax is softmax
        assert labelwise.learn.encode_targets is not None
        assert labelwise.text.normalize_for_dedup("A  b") == "a b"
    assert [w.category for w in caught] == [DeprecationWarning] * 3
    assert "labelwise.labeling.scoring.softmax" in str(caught[0].message)


if __name__ == "__main__":
    if "--update" in sys.argv:
        SNAPSHOT.write_text(json.dumps(live_api(), indent=1) + "\n")
        print(f"wrote {SNAPSHOT}")
    else:
        print(json.dumps(live_api(), indent=1))
