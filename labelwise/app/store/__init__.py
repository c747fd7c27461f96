"""The app's service layer (one facade over one module per resource): users, projects, tasks, the work queue, annotations, review, gold.

Routes and CLI commands call :class:`Store` and hold no logic of their own. Every write goes
through the database's single writer (see :mod:`labelwise.app.db`) and is committed before
the method returns.

The work queue
--------------
A task is *open* while fewer than ``overlap`` counted annotations (submitted, accepted or
fixed) exist. Open tasks sit in a partial index ordered by ``queue_key`` (import order,
a seeded random key, or the pre-label confidence for "least confident first"), so finding
the next task walks only the head of that index: O(log n) at 100k tasks. Handing a task out
*reserves* it for that user (in memory, 10 minutes) so that with ``overlap = 1`` two people
never get the same task; reservations are only a courtesy, the database is the truth.

Examples
--------
>>> import tempfile
>>> from labelwise.formats import Item
>>> store = Store.open(tempfile.mkdtemp())
>>> admin = store.create_user("admin", "correct-horse-9", role="admin")
>>> p = store.create_project("demo", {"object": {"type": "text"},
...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
>>> store.add_tasks(p.id, [Item("1", {"text": "great"})])["tasks"]
1
>>> task = store.next_tasks(admin, p.id)[0]
>>> ann, created = store.submit(admin, p.id, task["id"], {"s": "pos"}, submission_id="first-submit")
>>> created, store.next_tasks(admin, p.id)
(True, [])
>>> store.close()
"""

from __future__ import annotations

from labelwise.app.store.annotations import AnnotationsStore
from labelwise.app.store.core import COUNTED_STATUSES, QUEUE_ORDERS, ROLES, Project, User
from labelwise.app.store.export import ExportStore
from labelwise.app.store.imports import ImportStore
from labelwise.app.store.projects import ProjectsStore
from labelwise.app.store.queue import QueueStore
from labelwise.app.store.users import UsersStore

__all__ = ["COUNTED_STATUSES", "QUEUE_ORDERS", "ROLES", "Project", "Store", "User"]


class Store(UsersStore, ProjectsStore, ImportStore, QueueStore, AnnotationsStore, ExportStore):
    """Everything the app stores, behind methods that check permissions and inputs.

    One class per resource (users and sessions, projects, import, queue, annotations and
    review, export and reports) over a shared :class:`~labelwise.app.store.core.StoreCore`.

    Parameters
    ----------
    db : Database
    media_root : Path, optional
        Folder holding ``<project id>/...`` media; media are served from there only.
    """
