"""Deadline reminders (docs/reminders.md): which milestone is at which stage on a run date, one digest per
department per run, claimed exactly once, sent by a Celery task (or inline).

The stages of the work, one module each:
- `stages`: which stage a milestone has reached on a run date (30/7/1 days before, due, overdue, escalation);
- `planning`: the run's digests, computed without writing (candidates, existing claims, stale measures, recipients);
- `claims`: the unique rows that make each (milestone, stage, due date) reminder go out exactly once, inserted
  set-based (one statement per 50,000 rows, all departments together);
- `sql`: rows passed as array parameters (PostgreSQL unnest, SQLite json_each), the run lock, JIT off;
- `delivery`: one digest e-mail built and sent, with its rows taken and marked by conditional updates;
- `preview`: what a run would send to whom (admin page, ``send_reminders --dry-run``);
- `run`: the one service the beat task, ``manage.py send_reminders`` and the admin's 今すぐ送信 call.

How "exactly once" works (healthchecks' conditional-update idea, with a unique row as the claim):
- A run inserts one ReminderLog row per (milestone, stage, due date) with INSERT … ON CONFLICT DO NOTHING
  RETURNING id, under a run-level lock (a concurrent run plans from the claims committed before it). Only the
  rows a run got back are its to send; a second run (or a retried task) inserting the same keys gets nothing
  back and sends nothing.
- The row's `claimed_at` is the owner's token. Whoever sends first moves the rows to a fresh token with one
  conditional UPDATE (only if the token is still the one it was given, or the claim has gone stale), then
  sends, then marks them sent with another conditional UPDATE. A killed worker leaves rows `claimed`;
  once older than REMINDER_CLAIM_LEASE_SECONDS the next run (or the redelivered task) takes them over.
"""

from .delivery import Delivery, build_email, deliver_digest
from .planning import Digest, PlannedItem, RunReport, plan_run
from .preview import PreviewDigest, PreviewLine, describe_digest, preview
from .run import run_reminders
from .stages import (
    OPEN_STATUSES,
    STAGE_DUE,
    STAGE_STALE,
    Stage,
    StageRules,
    horizon_for,
    parse_stage,
    stage_for,
    stage_label,
)

__all__ = [
    "OPEN_STATUSES",
    "STAGE_DUE",
    "STAGE_STALE",
    "Delivery",
    "Digest",
    "PlannedItem",
    "PreviewDigest",
    "PreviewLine",
    "RunReport",
    "Stage",
    "StageRules",
    "build_email",
    "deliver_digest",
    "describe_digest",
    "horizon_for",
    "parse_stage",
    "plan_run",
    "preview",
    "run_reminders",
    "stage_for",
    "stage_label",
]
