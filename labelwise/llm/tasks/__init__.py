"""LLM labeling tasks: prompts, JSON schemas and validation of the answers.

Each task holds a default system prompt and user template (both overridable), the JSON
schema sent as ``response_format``, and a parser that validates an answer with pydantic plus
the task's own checks (class names, taxonomy pairs, span offsets, score ranges). A parser
raises :class:`~labelwise.llm.errors.OutputError`; the runner then makes one repair
request quoting the error, and abstains (counted) when the repair fails too.

Templates use ``{name}`` placeholders; only the names a task lists in ``placeholders`` are
replaced (``{text}`` is required in the user template), so JSON examples with braces can be
written as they are. An unknown ``{name}`` is an error at construction.

The tasks live in one module per family (``classify``, ``hierarchical``, ``entities``,
``generate``, ``aspects``; shared pieces in ``_base``); import them from here.

Tasks
-----
=========================  ===========================================  ===============
task                        answer                                      votes
=========================  ===========================================  ===============
:class:`ClassifyTask`       one of the categories (or "unsure")          class index
:class:`MultiLabelTask`     any subset of the categories                 one 0/1 per class
:class:`TaxonomyTask`       category and sub-category                    leaf or category
:class:`EntityTask`         typed spans with checked character offsets   --
:class:`SummarizeTask`      a summary of at most ``max_words`` words     --
:class:`HeadlineTask`       a headline and (optionally) a topic          topic index
:class:`AspectSentimentTask` aspects scored 0-5, overall, top +/-        polarity
:class:`RowClassifyTask`    a class for a table row, from example rows   class index
=========================  ===========================================  ===============

Examples
--------
>>> task = ClassifyTask(["ham", "spam"])
>>> task.kind, task.label_space.names
('classify', ['ham', 'spam'])
"""

from __future__ import annotations

from labelwise.llm.tasks._base import ItemSkipped, Prepared, Task
from labelwise.llm.tasks.aspects import AspectSentimentTask
from labelwise.llm.tasks.classify import ClassifyTask, MultiLabelTask, RowClassifyTask
from labelwise.llm.tasks.entities import EntityTask
from labelwise.llm.tasks.generate import HeadlineTask, SummarizeTask
from labelwise.llm.tasks.hierarchical import TaxonomyTask

__all__ = [
    "AspectSentimentTask",
    "ClassifyTask",
    "EntityTask",
    "HeadlineTask",
    "ItemSkipped",
    "MultiLabelTask",
    "Prepared",
    "RowClassifyTask",
    "SummarizeTask",
    "Task",
    "TaxonomyTask",
]
