"""The kinds of job. A feature app registers its runnable functions in its AppConfig.ready, so this app never
imports the feature apps:

    from jobs.registry import register
    register("importing.preview", label=_("Excel取込（プレビュー）"), run=run_preview)

`run(job=job, progress=progress)` does the work and returns a `JobOutcome` (or a dict, taken as its result);
it reports how far it got through `progress(stage=..., done=..., total=...)` and raises `JobFailed` with a
message for the person waiting (in their language: the runner activates `job.language`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


class JobFailed(Exception):
    """The work cannot be done; the message is shown on the progress page as it is."""

    def __init__(self, message: str, *, result: dict | None = None):
        super().__init__(message)
        self.message = message
        self.result = result or {}


@dataclass
class JobOutcome:
    result: dict = field(default_factory=dict)
    file: bytes | None = None
    file_name: str = ""
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str | Promise
    run: Callable[..., Any]


_KINDS: dict[str, JobKind] = {}


def register(name: str, *, label: str | Promise, run: Callable[..., Any]) -> None:
    _KINDS[name] = JobKind(name=name, label=label, run=run)


def kind(name: str) -> JobKind | None:
    return _KINDS.get(name)


def label_of(name: str) -> str | Promise:
    found = _KINDS.get(name)
    return found.label if found else name
