"""How an import is named in the change history: the one writer and the one reader of that name.

The importer writes its objects' history rows (simple-history) with `import_change_reason(run)`; whatever shows
history (the timeline of a measure or milestone) recognises an import's rows with `import_run_id_from_reason`.
Both live here, next to ImportRun, because the importer and the timeline are in different apps above plans.

The reason is stored data, not UI text: it is written in Japanese whatever the language of the person importing,
and its format is the one every import since the first has written (so older history is recognised too).
"""

from __future__ import annotations

import re

from .models import ImportRun

REASON_MAX_LENGTH = 100  # simple-history's history_change_reason column

# Not translated: the prefix is part of the stored reason, and the reader below must match it in any language.
_REASON_PREFIX = "インポート #"
_REASON_RE = re.compile(r"^" + re.escape(_REASON_PREFIX) + r"(\d+)(?: \(|$)")


def import_change_reason(run: ImportRun) -> str:
    """The change reason of every history row an import writes: 「インポート #12 (plan.xlsx)」."""
    return f"{_REASON_PREFIX}{run.pk} ({run.file_name})"[:REASON_MAX_LENGTH]


def import_run_id_from_reason(reason: str | None) -> int | None:
    """The ImportRun id of a history row written by an import, or None for any other change."""
    match = _REASON_RE.match(reason or "")
    return int(match[1]) if match else None
