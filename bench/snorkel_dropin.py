"""The spam tutorial on real Snorkel 0.10 and on labelwise.compat.snorkel, side by side.

    .venv/bin/python bench/snorkel_dropin.py

``tests/compat/spam_tutorial.py`` is run twice on the SMS spam collection (same 80/20
split): once as written (``from labelwise.compat.snorkel import ...``, in ``.venv``) and
once with only its import block replaced by Snorkel's (in ``.venv-bench``). Printed: whether
the label matrices are identical, both accuracies (majority vote and label model on the
test split) and the apply + fit time of each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "tests" / "compat" / "spam_tutorial.py"
SNORKEL_IMPORTS = """from snorkel.labeling import (
    LabelingFunction,
    LFAnalysis,
    PandasLFApplier,
    filter_unlabeled_dataframe,
    labeling_function,
)
from snorkel.labeling.model import LabelModel, MajorityLabelVoter
from snorkel.preprocess import preprocessor
"""

DRIVER = """
import hashlib, json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[1])
import tutorial_under_test as t
df = pd.read_csv(sys.argv[2], sep="\\t", quoting=3).rename(columns={"SMS": "text"})
df["label"] = (df.pop("Label") == "spam").astype(int)
df = df.sample(frac=1.0, random_state=0)
cut = int(0.8 * len(df))
train, test = df.iloc[:cut], df.iloc[cut:]
start = time.perf_counter()
out = t.run(train, test, test["label"].to_numpy())
seconds = time.perf_counter() - start
L = np.ascontiguousarray(np.vstack([out["L_train"], out["L_test"]]).astype(np.int64))
print(json.dumps({
    "digest": hashlib.sha1(L.tobytes()).hexdigest()[:16],
    "majority_acc": out["majority_acc"],
    "label_model_acc": out["label_model_acc"],
    "n_filtered": out["n_filtered"],
    "seconds": seconds,
}))
"""


def run(python: Path, source: str, data: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="lw-dropin-") as tmp:
        (Path(tmp) / "tutorial_under_test.py").write_text(source)
        env = {**os.environ, "LABELWISE_PROGRESS": "0", "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [str(python), "-c", DRIVER, tmp, str(data)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bench.label_models import ensure_bench_venv

    data = ROOT.parent / "shared" / "datasets" / "text" / "sms_spam.tsv"
    source = TUTORIAL.read_text()
    head, rest = source.split("# --- imports (the only lines that change) ---\n", 1)
    _, tail = rest.split("# --- end of imports ---\n", 1)
    snorkel_source = head + SNORKEL_IMPORTS + tail
    lw = run(ROOT / ".venv" / "bin" / "python", source, data)
    sn = run(ensure_bench_venv(), snorkel_source, data)
    print("| run | same matrix | majority vote acc | label model acc | rows kept | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for name, r in (("Snorkel 0.10", sn), ("labelwise.compat.snorkel", lw)):
        same = "yes" if r["digest"] == sn["digest"] else "NO"
        print(
            f"| {name} | {same} | {r['majority_acc']:.3f} | {r['label_model_acc']:.3f} | "
            f"{r['n_filtered']:,} | {r['seconds']:.1f} |"
        )
    return 0 if lw["digest"] == sn["digest"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
