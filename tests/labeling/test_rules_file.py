from __future__ import annotations

import pandas as pd
import pytest

from labelwise.errors import RuleError
from labelwise.labeling import DaskLFApplier, LFApplier, load_rules

RULES = """
from labelwise.labeling import ABSTAIN, labeling_function, threshold

LABELS = ["low", "high"]
GOLD = "truth"

@labeling_function()
def lf_rich(x):
    return 1 if x.income > 100 else ABSTAIN

poor = threshold("income", "<", 20, 0, name="lf_poor")
"""


def test_rules_file_defines_rules_labels_and_gold(tmp_path):
    path = tmp_path / "rules.py"
    path.write_text(RULES)
    rules = load_rules(path)
    assert [lf.name for lf in rules.lfs] == ["lf_rich", "lf_poor"]
    assert rules.label_space.names == ["low", "high"]
    assert rules.gold_column == "truth"
    df = pd.DataFrame({"income": [5, 150, 50]})
    L = LFApplier(rules.lfs, label_space=rules.label_space).apply(df)
    assert L.values.tolist() == [[-1, 0], [1, -1], [-1, -1]]
    # Functions from a rules file reach Dask workers by value.
    L2 = DaskLFApplier(rules.lfs, label_space=rules.label_space, n_workers=1).apply(df)
    assert L2 == L


def test_explicit_lfs_list_controls_order(tmp_path):
    path = tmp_path / "rules.py"
    path.write_text(RULES + "\nLFS = [poor]\n")
    assert [lf.name for lf in load_rules(path).lfs] == ["lf_poor"]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("x = 1\n", "defines no labeling functions"),
        ("import nonexistent_module_xyz\n", "failed to import: ModuleNotFoundError"),
    ],
)
def test_bad_rules_files(tmp_path, content, message):
    path = tmp_path / "rules.py"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RuleError, match=message):
        load_rules(path)
