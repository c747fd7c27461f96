"""Grow labels from a few examples (or none), judge label quality, pick items for humans.

Labelers (each emits one column of the label matrix, or a value + confidence for
regression):

* :class:`PseudoLabeler`, :class:`PseudoRegressor`: self-training around any
  scikit-learn estimator;
* :class:`NearestLabeledLabeler`, :class:`NearestLabeledRegressor`: nearest labeled rows;
* :class:`ClassStatisticsLabeler`, :class:`ClassStatisticsRegressor`: closest class
  summary statistics;
* :class:`ClusterLabeler`, :class:`ClusterRegressor`: k-means clusters named by the
  labeled rows they contain (k by elbow, silhouette, Dunn or Davies-Bouldin);
* :func:`time_window_labels`: one label per entity per cutoff from a later window.

Label quality and human effort: :func:`find_label_issues` (confident learning),
:func:`cohens_kappa`, :func:`fleiss_kappa`, :func:`krippendorff_alpha`,
:func:`annotator_reliability`, :func:`uncertainty_scores`, :func:`disagreement_scores`,
:func:`find_next_items`, :func:`k_center_greedy`.

Examples
--------
>>> import numpy as np
>>> from labelwise.learn import NearestLabeledLabeler
>>> X = np.array([[0.0], [0.2], [5.0], [5.2], [0.1], [5.1]])
>>> result = NearestLabeledLabeler(k=1).fit_label(X, [0, 0, 1, 1, None, None])
>>> result.votes.tolist()
[0, 0, 1, 1, 0, 1]
>>> result.to_label_matrix().names
['nearest_labeled']
"""

from __future__ import annotations

from labelwise._deprecation import moved_out_of_root
from labelwise.learn.active import (
    disagreement_scores,
    find_next_items,
    k_center_greedy,
    uncertainty_scores,
)
from labelwise.learn.agreement import (
    AnnotatorReliability,
    agreement_report,
    annotator_reliability,
    cohens_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_kappa,
    rating_counts,
)
from labelwise.learn.cluster import (
    ClusterLabeler,
    ClusterRegressor,
    KSelection,
    dunn_index,
    find_elbow,
    score_k_range,
)
from labelwise.learn.features import (
    FeaturePrep,
    prepare_features,
    split_target,
)
from labelwise.learn.issues import (
    LabelIssueFinder,
    confident_joint,
    estimate_noise_matrix,
    find_label_issues,
    label_quality_scores,
    out_of_fold_proba,
)
from labelwise.learn.neighbors import (
    ClassStatisticsLabeler,
    ClassStatisticsRegressor,
    NearestLabeledLabeler,
    NearestLabeledRegressor,
)
from labelwise.learn.pseudo import (
    PseudoLabeler,
    PseudoRegressor,
    find_confident_rows,
    find_least_uncertain_rows,
)
from labelwise.learn.result import LabelerResult as LabelerResult  # deprecated: Votes
from labelwise.learn.result import RegressionResult
from labelwise.learn.result import stack_results as stack_results  # deprecated
from labelwise.learn.timewindow import events_before_cutoff, make_cutoffs, time_window_labels

__all__ = [
    "AnnotatorReliability",
    "ClassStatisticsLabeler",
    "ClassStatisticsRegressor",
    "ClusterLabeler",
    "ClusterRegressor",
    "FeaturePrep",
    "KSelection",
    "LabelIssueFinder",
    "NearestLabeledLabeler",
    "NearestLabeledRegressor",
    "PseudoLabeler",
    "PseudoRegressor",
    "RegressionResult",
    "agreement_report",
    "annotator_reliability",
    "cohens_kappa",
    "confident_joint",
    "disagreement_scores",
    "dunn_index",
    "estimate_noise_matrix",
    "events_before_cutoff",
    "find_confident_rows",
    "find_elbow",
    "find_label_issues",
    "find_least_uncertain_rows",
    "find_next_items",
    "fleiss_kappa",
    "k_center_greedy",
    "krippendorff_alpha",
    "label_quality_scores",
    "make_cutoffs",
    "out_of_fold_proba",
    "pairwise_kappa",
    "prepare_features",
    "rating_counts",
    "score_k_range",
    "split_target",
    "time_window_labels",
    "uncertainty_scores",
]

#: Helpers moved out of the package root (importable from labelwise.learn.features).
__getattr__ = moved_out_of_root(
    __name__,
    {
        "encode_targets": "labelwise.learn.features",
        "regression_targets": "labelwise.learn.features",
        "unlabeled_mask": "labelwise.learn.features",
    },
)
