"""Label models by name, for the CLI (``--model mv|wv|ds|snorkel|triplet``) and configuration."""

from __future__ import annotations

from labelwise.errors import LabelwiseError
from labelwise.models.base import LabelModel
from labelwise.models.dawid_skene import DawidSkene
from labelwise.models.majority import MajorityVote, WeightedVote
from labelwise.models.metal import MetalModel
from labelwise.models.triplet import TripletModel

__all__ = ["MODELS", "make_label_model"]

#: Registry name -> label model class. ``"auto"`` is not a model: it means
#: :func:`~labelwise.models.selection.select_label_model`.
MODELS: dict[str, type[LabelModel]] = {
    "mv": MajorityVote,
    "wv": WeightedVote,
    "ds": DawidSkene,
    "snorkel": MetalModel,
    "triplet": TripletModel,
}


def make_label_model(
    name: str, *, cardinality: int | None = None, seed: int | None = None
) -> LabelModel:
    """A new, unfitted label model by registry name.

    Parameters
    ----------
    name : {"mv", "wv", "ds", "snorkel", "triplet"}
    cardinality : int, optional
        Number of classes ``k``.
    seed : int, optional
        Seeds random tie-breaking.

    Examples
    --------
    >>> make_label_model("ds", cardinality=3, seed=0)
    DawidSkene(cardinality=3, max_iter=100, tol=1e-06, smoothing=0.01, init='majority', model_abstentions=True, tie_policy='abstain', seed=0)
    """
    key = str(name).lower()
    if key == "auto":
        raise LabelwiseError(
            "'auto' picks a model on a gold dev set: call select_label_model(L_dev, y_dev, "
            "L_train=L) instead of make_label_model"
        )
    if key not in MODELS:
        raise LabelwiseError(
            f"unknown label model {name!r}; choose one of {sorted(MODELS)} (or 'auto')"
        )
    return MODELS[key](cardinality=cardinality, seed=seed)
