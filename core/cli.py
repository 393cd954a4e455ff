"""Progress bars for the management commands (tqdm): the same `progress(stage=..., done=..., total=...)` callback the
services report to a background job's progress page drives a bar on the terminal.

Quiet when the command's stderr is not a terminal (cron, CI, a pipe) or with `-v 0`.
"""

from __future__ import annotations

from tqdm import tqdm

STAGE_LABELS = {
    "read": "読込",
    "validate": "検証",
    "preview": "プレビュー",
    "apply": "反映",
    "build": "作成",
    "send": "送信",
}


def bars_enabled(command, options: dict) -> bool:
    return int(options.get("verbosity", 1)) > 0 and command.stderr.isatty()


class CommandProgress:
    """One bar per stage, written to the command's stderr."""

    def __init__(self, command, options: dict, *, unit: str = "行"):
        self.enabled = bars_enabled(command, options)
        self.file = command.stderr._out
        self.unit = unit
        self.stage: str | None = None
        self.bar: tqdm | None = None

    def __call__(
        self, *, stage: str | None = None, done: int | None = None, total: int | None = None, force: bool = False
    ) -> None:
        if not self.enabled:
            return
        if stage is not None and (stage != self.stage or self.bar is None):
            self.close()
            self.stage = stage
            self.bar = tqdm(
                desc=STAGE_LABELS.get(stage, stage),
                total=total or None,
                unit=self.unit,
                file=self.file,
                dynamic_ncols=True,
            )
        if self.bar is None:
            return
        if total:
            self.bar.total = total
        if done is not None:
            self.bar.n = done
        self.bar.refresh()

    def step(self, message: str) -> None:
        """One step of a long run without a known total (generate_scale)."""
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(total=None, unit="段階", file=self.file, dynamic_ncols=True)
        self.bar.set_description_str(message[:60])
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
