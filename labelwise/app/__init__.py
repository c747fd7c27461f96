"""The annotation web app: FastAPI + SQLite (or any SQLAlchemy URL), with a static front end.

``labelwise serve PROJECT_DIR`` runs it. The library side:

* :class:`Store`: users, projects, tasks, work queue, annotations, review, gold, dashboard;
* :func:`create_app` / :func:`serve`: the HTTP API (OpenAPI at ``/docs``) and the UI;
* :func:`import_path`: tasks from folders, tables and annotation exports;
* :func:`project_report`: the dashboard as a self-contained HTML file;
* :func:`annotations_to_label_matrix`, :func:`gold_labels`, :func:`attach_predictions`:
  human answers as label-matrix columns and gold, model outputs as pre-labels.

Examples
--------
>>> import tempfile
>>> from labelwise.app import Store
>>> with Store.open(tempfile.mkdtemp()) as store:
...     p = store.create_project("spam", {"object": {"type": "text"},
...         "controls": [{"name": "label", "type": "choices", "labels": ["ham", "spam"]}]})
...     p.config.matrix_control.labels
('ham', 'spam')
"""

from __future__ import annotations

from labelwise.app.agreement import (
    box_f1,
    pair_agreement,
    project_agreement,
    span_f1,
    task_agreement,
)
from labelwise.app.errors import (
    AppError,
    AuthError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
)
from labelwise.app.importers import import_bytes, import_path, items_from_rows
from labelwise.app.matrix import annotations_to_label_matrix, attach_predictions, gold_labels
from labelwise.app.report import project_report
from labelwise.app.server import create_app, serve
from labelwise.app.store import QUEUE_ORDERS, ROLES, Project, Store, User
from labelwise.formats.schema import LabelConfig

__all__ = [
    "QUEUE_ORDERS",
    "ROLES",
    "AppError",
    "AuthError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "LabelConfig",
    "NotFound",
    "PayloadTooLarge",
    "Project",
    "Store",
    "TooManyRequests",
    "User",
    "annotations_to_label_matrix",
    "attach_predictions",
    "box_f1",
    "create_app",
    "gold_labels",
    "import_bytes",
    "import_path",
    "items_from_rows",
    "pair_agreement",
    "project_agreement",
    "project_report",
    "serve",
    "span_f1",
    "task_agreement",
]
