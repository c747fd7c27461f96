"""A self-contained HTML report of a project: progress, annotators, labels, agreement, disputes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelwise.app.store import Store

__all__ = ["project_report"]


def project_report(store: Store, project: int | str, path: str | Path) -> Path:
    """Write the project's dashboard as one HTML file (for people without server access).

    Parameters
    ----------
    store : Store
    project : int or str
        Project id or name.
    path : str or Path
        Where to write the ``.html`` file.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, os
    >>> from labelwise.formats import Item
    >>> s = Store.open(tempfile.mkdtemp())
    >>> p = s.create_project("r", {"object": {"type": "text"},
    ...     "controls": [{"name": "y", "type": "choices", "labels": ["no", "yes"]}]})
    >>> _ = s.add_tasks(p.id, [Item("a", {"text": "x"})])
    >>> out = project_report(s, p.id, os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> "Agreement" in out.read_text()
    True
    >>> s.close()
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from labelwise.reports import Report

    p = store.get_project(project)
    admin = _reader(store)
    d = store.dashboard(admin, p.id)
    prog = d["progress"]
    r = Report(
        f"Project {p.name}",
        subtitle=f"{p.config.object_type} · overlap {p.overlap} · {p.queue_order} queue",
    )
    s = r.section("Progress")
    s.kv(
        {
            "tasks": prog["tasks"],
            "complete": prog["complete"],
            "complete %": round(100 * prog["complete"] / prog["tasks"], 1)
            if prog["tasks"]
            else 0.0,
            "adjudicated": prog["gold"],
            "skips": prog["skipped"],
            **{f"annotations {k}": v for k, v in prog["annotations"].items()},
        }
    )
    s = r.section("Annotators")
    if d["throughput"]:
        df = pd.DataFrame(d["throughput"])
        df["agreement"] = [
            d["agreement"]["annotators"].get(u, {}).get("mean_agreement") for u in df["username"]
        ]
        s.table(df, max_rows=200)
    else:
        s.text("No annotations yet.")
    s = r.section("Label distribution")
    for name, counts in d["distribution"].items():
        if not counts:
            continue
        fig, ax = plt.subplots(figsize=(6, 0.35 * len(counts) + 1))
        ax.barh(list(counts), list(counts.values()), color="#1f77b4")
        ax.invert_yaxis()
        ax.set_xlabel("annotations")
        ax.set_title(name)
        s.figure(fig, caption=f"{name}: answers per class")
    s = r.section("Agreement")
    alerts = []
    for name, a in d["agreement"]["controls"].items():
        s.heading(name)
        kv: dict[str, Any] = {
            "type": a["type"],
            "tasks compared": a["tasks_compared"],
            "mean pairwise agreement": a["mean_agreement"],
        }
        for key in ("fleiss_kappa", "krippendorff_alpha"):
            if key in a:
                kv[key.replace("_", " ")] = a[key]
        s.kv(kv)
        if a.get("cohen_kappa"):
            s.table(
                pd.DataFrame(
                    {"pair": list(a["cohen_kappa"]), "Cohen kappa": list(a["cohen_kappa"].values())}
                )
            )
        alpha = a.get("krippendorff_alpha")
        if alpha is not None and alpha < 0.667:
            alerts.append(
                (
                    "warning",
                    f"{name}: Krippendorff's alpha {alpha:.2f} is below 0.667; tighten the guidelines",
                )
            )
    if alerts:
        s.alerts(alerts)
    disputes = store.disagreements(admin, p.id, limit=50)
    s = r.section("Disagreements")
    if disputes:
        s.table(
            pd.DataFrame(
                [
                    {
                        "item": x["item_id"],
                        "annotations": x["n"],
                        "agreement": x["agreement"],
                        "adjudicated": x["adjudicated"],
                    }
                    for x in disputes
                ]
            )
        )
    else:
        s.text("No task with several annotations disagrees.")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    r.save(out)
    return out


def _reader(store: Store) -> Any:
    """A stand-in admin identity for reading the whole project (reports are offline)."""
    from labelwise.app.store import User

    return User(0, "report", "admin")
