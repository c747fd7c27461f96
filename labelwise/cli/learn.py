"""``labelwise issues | pseudo-label | clusters | agreement``: thin wrappers over
:mod:`labelwise.learn`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from labelwise.cli.app import app, console

_MODELS = ("logistic", "forest", "hgb")


def _classifier(name: str, seed: int) -> Any:
    from labelwise.errors import LabelwiseError

    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=2000)
    if name == "forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed)
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed)
    raise LabelwiseError(f"--model {name!r} is not one of {', '.join(_MODELS)}")


def _load(
    data: Path, label: str | None, features: str | None, na_values: str | None
) -> tuple[Any, Any, Any]:
    from labelwise.io import read_table
    from labelwise.learn import split_target

    df = read_table(data, na_values=na_values.split(",") if na_values else None)
    feats = [f.strip() for f in features.split(",")] if features else None
    if label is None:
        X = df[feats] if feats else df
        return df, X, None
    X, y = split_target(df, label, features=feats)
    return df, X, y


def _categorical(value: str) -> Any:
    return value if value in ("auto", "error") else [c.strip() for c in value.split(",")]


@app.command("issues")
def issues_command(
    data: Path = typer.Argument(..., help="Labeled table: CSV, TSV, Parquet or JSONL."),
    label: str = typer.Option(..., "--label", "-l", help="Column holding the given labels."),
    features: str | None = typer.Option(
        None, help="Comma-separated feature columns (default: every other column)."
    ),
    categorical: str = typer.Option(
        "auto", help="'auto' one-hot encodes text columns, 'error' refuses them, or list columns."
    ),
    model: str = typer.Option(
        "logistic", help=f"Classifier for out-of-fold probabilities: {', '.join(_MODELS)}."
    ),
    cv: int = typer.Option(5, help="Cross-validation folds."),
    top: int = typer.Option(20, help="How many likely errors to print."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write every flagged row to this table."
    ),
    na_values: str | None = typer.Option(
        None, help="Extra missing-value markers, comma-separated."
    ),
    seed: int = typer.Option(0, help="Random seed for the folds and the model."),
) -> None:
    """List rows whose label is probably wrong (confident learning on out-of-fold
    probabilities), most likely first."""
    from labelwise.cli._tables import frame_table
    from labelwise.io import write_table
    from labelwise.learn import LabelIssueFinder

    df, X, y = _load(data, label, features, na_values)
    finder = LabelIssueFinder(
        _classifier(model, seed), cv=cv, categorical=_categorical(categorical), seed=seed
    ).fit(X, y)
    issues = finder.issues_frame(index=df.index.to_numpy())
    n_labeled = int((finder.labels_ >= 0).sum())
    console.print(
        f"{len(issues):,} of {n_labeled:,} labeled rows look mislabeled "
        f"({len(issues) / max(n_labeled, 1):.1%})"
    )
    if len(issues):
        console.print(
            frame_table(
                issues.head(top).set_index("row"), title="Likely label errors", index_name="row"
            )
        )
    if out is not None:
        write_table(issues, out)
        console.print(f"wrote {len(issues):,} rows to {out}")


@app.command("pseudo-label")
def pseudo_label_command(
    data: Path = typer.Argument(
        ..., help="Table with some labeled rows (missing label = unlabeled)."
    ),
    label: str = typer.Option(
        ..., "--label", "-l", help="Label column; empty cells are unlabeled."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output table with pseudo_label and pseudo_confidence columns."
    ),
    features: str | None = typer.Option(
        None, help="Comma-separated feature columns (default: all others)."
    ),
    categorical: str = typer.Option(
        "auto", help="'auto', 'error' or a comma-separated list of columns to one-hot encode."
    ),
    model: str = typer.Option("logistic", help=f"Classifier: {', '.join(_MODELS)}."),
    threshold: float = typer.Option(0.9, help="Confidence needed to add a row in a round."),
    top_k: int | None = typer.Option(None, help="At most this many rows per class per round."),
    rounds: int = typer.Option(10, help="Maximum self-training rounds."),
    holdout: float = typer.Option(0.2, help="Share of labeled rows held out to score each round."),
    report: Path | None = typer.Option(None, help="Write an HTML report of the rounds here."),
    na_values: str | None = typer.Option(
        None, help="Extra missing-value markers, comma-separated."
    ),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Self-train a classifier on the labeled rows and pseudo-label the rest."""
    from labelwise.cli._tables import records_table
    from labelwise.io import write_table
    from labelwise.learn import PseudoLabeler

    df, X, y = _load(data, label, features, na_values)
    labeler = PseudoLabeler(
        _classifier(model, seed),
        threshold=threshold,
        top_k=top_k,
        max_rounds=rounds,
        holdout=holdout,
        categorical=_categorical(categorical),
        seed=seed,
    )
    result = labeler.fit_label(X, y)
    frame = result.to_frame()
    outdf = df.copy()
    outdf["pseudo_label"] = frame["label"].to_numpy()
    outdf["pseudo_confidence"] = frame["confidence"].to_numpy()
    write_table(outdf, out)
    rounds_df = labeler.report_frame().drop(columns=["added_per_class"])
    console.print(records_table(rounds_df.to_dict("records"), title="Rounds"))
    console.print(
        f"{int((result.votes >= 0).sum()):,} rows got a pseudo-label "
        f"(stopped: {labeler.stop_reason_}); wrote {out}"
    )
    if report is not None:
        labeler.report(report)
        console.print(f"report: {report}")


@app.command("clusters")
def clusters_command(
    data: Path = typer.Argument(..., help="Table to cluster: CSV, TSV, Parquet or JSONL."),
    label: str | None = typer.Option(
        None, "--label", "-l", help="Column with the few known labels (names clusters)."
    ),
    features: str | None = typer.Option(
        None, help="Comma-separated feature columns (default: all but the label)."
    ),
    categorical: str = typer.Option(
        "auto", help="'auto', 'error' or comma-separated columns to one-hot encode."
    ),
    k_min: int = typer.Option(2, help="Smallest k to try."),
    k_max: int = typer.Option(10, help="Largest k to try."),
    select_by: str = typer.Option("silhouette", help="silhouette, elbow, dunn or davies_bouldin."),
    report: Path = typer.Option(
        Path("clusters.html"), help="HTML report with the k-selection curves."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the table with cluster (and cluster_label) columns."
    ),
    na_values: str | None = typer.Option(
        None, help="Extra missing-value markers, comma-separated."
    ),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Choose k for k-means (inertia, silhouette, Davies-Bouldin, Dunn) and, with --label,
    label each cluster by the labeled rows it contains."""
    from labelwise.cli._tables import frame_table, records_table
    from labelwise.io import write_table
    from labelwise.learn import ClusterLabeler, FeaturePrep, score_k_range
    from labelwise.reports import Report

    df, X, y = _load(data, label, features, na_values)
    ks = range(k_min, k_max + 1)
    if y is None:
        Xf = FeaturePrep(categorical=_categorical(categorical)).fit_transform(X)
        sel = score_k_range(Xf, ks, seed=seed)
        best = sel.best_k(select_by)  # type: ignore[arg-type]
        r = Report("k selection", subtitle=str(data))
        s = r.section("Choice of k")
        s.figure(sel.plot(chosen=best), caption="k-selection curves")
        s.table(sel.to_frame(), index=False)
        r.save(report)
        console.print(
            records_table(sel.to_frame().to_dict("records"), title=f"k = {best} by {select_by}")
        )
        if out is not None:
            outdf = df.copy()
            outdf["cluster"] = sel.models[list(sel.ks).index(best)].labels_
            write_table(outdf, out)
    else:
        labeler = ClusterLabeler(
            k_range=ks,
            select_by=select_by,  # type: ignore[arg-type]
            categorical=_categorical(categorical),
            seed=seed,
        )
        result = labeler.fit_label(X, y)
        labeler.report(report)
        console.print(
            frame_table(
                labeler.cluster_table(),
                title=f"k = {labeler.k_} by {select_by}",
                index_name="cluster",
            )
        )
        if out is not None:
            outdf = df.copy()
            outdf["cluster"] = labeler.clusters_
            outdf["cluster_label"] = result.to_frame()["label"].to_numpy()
            outdf["cluster_confidence"] = result.confidence
            write_table(outdf, out)
    console.print(f"report: {report}")
    if out is not None:
        console.print(f"wrote {out}")


@app.command("agreement")
def agreement_command(
    data: Path = typer.Argument(
        ..., help="Table with one column per annotator (empty = not labeled)."
    ),
    annotators: str | None = typer.Option(
        None, help="Comma-separated annotator columns (default: all)."
    ),
    report: Path | None = typer.Option(None, help="Write an HTML agreement report here."),
    na_values: str | None = typer.Option(
        None, help="Extra missing-value markers, comma-separated."
    ),
) -> None:
    """Agreement between annotators (Fleiss' kappa, Krippendorff's alpha, pairwise Cohen's
    kappa) and each annotator's reliability estimated with Dawid-Skene."""
    import numpy as np

    from labelwise.cli._tables import records_table
    from labelwise.errors import DataError
    from labelwise.io import read_table
    from labelwise.labeling import LabelSpace
    from labelwise.learn import (
        agreement_report,
        annotator_reliability,
        fleiss_kappa,
        krippendorff_alpha,
    )

    df = read_table(data, na_values=na_values.split(",") if na_values else None)
    cols = [c.strip() for c in annotators.split(",")] if annotators else list(df.columns)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(
            f"annotator columns {missing} are not in {str(data)!r}; columns: {list(df.columns)}"
        )
    if len(cols) < 2:
        raise DataError("agreement needs at least two annotator columns")
    values = [str(v) for c in cols for v in df[c].dropna().tolist()]
    space = LabelSpace.from_values(values)
    L = np.column_stack(
        [
            space.encode([None if v != v else str(v) for v in df[c].astype(object).tolist()])
            for c in cols
        ]
    )
    console.print(f"Fleiss' kappa: {fleiss_kappa(L, cardinality=space.k):.3f}")
    console.print(f"Krippendorff's alpha (nominal): {krippendorff_alpha(L):.3f}")
    rel = annotator_reliability(L, cardinality=space.k, names=cols)
    console.print(
        records_table(
            rel.to_frame().to_dict("records"), title="Annotator reliability (Dawid-Skene)"
        )
    )
    if report is not None:
        agreement_report(L, names=cols, class_names=space.names, path=report)
        console.print(f"report: {report}")
