"""The bundled end-to-end demo: income rules on a UCI Adult sample.

Rules -> diagnostics -> every label model and majority vote compared on held-out gold ->
labeled data, label matrix, diagnostics and an HTML report written to one folder.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DemoResult", "run_demo", "sample_data_path", "sample_rules_path"]


def sample_data_path() -> Path:
    """The bundled Adult sample (4,000 rows, CC BY 4.0; see ``labelwise/data/README.md``)."""
    return Path(str(resources.files("labelwise") / "data" / "adult_sample.csv"))


def sample_rules_path() -> Path:
    """The bundled income rules for the Adult sample."""
    return Path(str(resources.files("labelwise") / "data" / "adult_rules.py"))


@dataclass
class DemoResult:
    run: Any  # LabelingRun
    comparison: list[dict[str, Any]]
    outputs: dict[str, Path]


def run_demo(out_dir: str | Path, *, seed: int = 0, dev_size: int = 200) -> DemoResult:
    """Run the demo and write its outputs to ``out_dir``."""
    from labelwise.io import read_table, write_table
    from labelwise.labeling import load_rules
    from labelwise.models import MODELS, make_label_model
    from labelwise.pipeline import accuracy_summary, label_table, labeled_frame

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rules = load_rules(sample_rules_path())
    df = read_table(sample_data_path(), na_values=rules.na_values)
    run = label_table(
        df,
        rules.lfs,
        label_space=rules.label_space,
        model="auto",
        gold=df[rules.gold_column].tolist(),
        dev_size=dev_size,
        seed=seed,
    )
    space = rules.label_space
    assert space is not None  # the bundled rules file defines LABELS
    y = space.encode(df[rules.gold_column].tolist())
    held = np.ones(len(y), dtype=bool)
    held[run.dev_index] = False
    V = run.L.values
    comparison: list[dict[str, Any]] = []
    dev = run.dev_index
    for name in MODELS:
        # Every model gets what select_label_model gave it: the dev gold's class balance.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = make_label_model(name, cardinality=space.k, seed=seed).fit(
                V, y_dev=y[dev], L_dev=V[dev]
            )
        for w in caught:
            note = f"{name}: {w.message}"
            if note not in run.notes:
                run.notes.append(note)
        pred = np.asarray(model.predict(V)).astype(np.int64)
        summary = accuracy_summary(name, pred[held], y[held])
        comparison.append(
            {
                "model": name,
                "class": type(model).__name__,
                "coverage": summary["coverage"],
                "accuracy_on_covered": summary["accuracy_on_covered"],
                "accuracy_all": summary["accuracy_all"],
                "chosen": type(model).__name__ == run.model_name,
            }
        )
    outputs = {
        "labeled data": write_table(labeled_frame(df, run), out / "adult_labeled.parquet"),
        "labeled data (CSV)": write_table(labeled_frame(df, run), out / "adult_labeled.csv"),
        "diagnostics": write_table(
            run.summary.reset_index().assign(polarity=lambda d: d.polarity.astype(str)),
            out / "diagnostics.csv",
        ),
    }
    run.L.to_parquet(out / "label_matrix.parquet")
    outputs["label matrix"] = out / "label_matrix.parquet"
    outputs["report"] = _write_report(out / "report.html", run, comparison, y, held)
    return DemoResult(run=run, comparison=comparison, outputs=outputs)


def _write_report(
    path: Path, run: Any, comparison: list[dict[str, Any]], y: np.ndarray, held: np.ndarray
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from labelwise.labeling import ABSTAIN
    from labelwise.reports import Report

    report = Report("labelwise demo: income labels for a UCI Adult sample")
    s = report.section("Labeling functions")
    s.table(run.summary.assign(polarity=run.summary.polarity.astype(str)))
    s = report.section("Label models vs majority vote (held-out gold)")
    s.table(comparison, index=False)
    for note in run.notes:
        s.text(note, muted=True)
    if run.selection:
        s.heading("Model selection on the gold dev set")
        s.table(run.selection, index=False)
    s = report.section("Confidence and calibration")
    conf = run.proba.max(axis=1)
    covered = run.labels != ABSTAIN
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].hist(conf[covered], bins=20, color="#0969da")
    axes[0].set(title="confidence of the chosen model", xlabel="max probability", ylabel="items")
    mask = held & covered
    bins = np.linspace(0.5, 1.0, 6)
    idx = np.clip(np.digitize(conf[mask], bins) - 1, 0, len(bins) - 2)
    correct = run.labels[mask] == y[mask]
    xs = [(bins[b] + bins[b + 1]) / 2 for b in range(len(bins) - 1) if (idx == b).any()]
    ys = [correct[idx == b].mean() for b in range(len(bins) - 1) if (idx == b).any()]
    axes[1].plot([0.5, 1], [0.5, 1], "--", color="grey")
    axes[1].plot(xs, ys, "o-", color="#cf222e")
    axes[1].set(title="reliability (held-out gold)", xlabel="confidence", ylabel="accuracy")
    s.figure(fig)
    return report.save(path)
