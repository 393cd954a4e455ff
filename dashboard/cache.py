"""Rendered dashboard bodies, cached under a global data version.

Any write the dashboards show (milestones, measures, progress updates, KPIs and their values, plans,
pillars, departments, item links) bumps the version — at once and again after commit, so a reader racing a
transaction cannot keep pre-commit numbers — and every cached body becomes unreachable. Bulk writers that
bypass signals refresh the roll-up, whose `bulk_refreshed` signal invalidates too, and the KPI values' bulk write
sends `values_recorded`; DASHBOARD_CACHE_SECONDS bounds anything missed. The cache is settings.DASHBOARD_CACHE
(Redis when REDIS_URL is set, so every worker sees the same version; per-process memory otherwise). 0 seconds
turns caching off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from measures.rollup import bulk_refreshed
from measures.services import values_recorded

VERSION_KEY = "dash:version"


def _cache():
    return caches[getattr(settings, "DASHBOARD_CACHE", "default")]


def _seconds() -> int:
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 0))


def invalidate() -> None:
    cache = _cache()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value makes old keys unreachable
        import time

        cache.set(VERSION_KEY, int(time.time() * 1000), None)


def cached_html(parts: tuple, render: Callable[[], str]) -> str:
    """The body for these parts (view, plan, filter, day, language, audience), rendered once per version."""
    seconds = _seconds()
    if seconds <= 0:
        return render()
    cache = _cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        invalidate()
        version = cache.get(VERSION_KEY)
    key = "dash:body:" + hashlib.sha256(repr((version, *parts)).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, seconds)
    return html


def _changed(*args, **kwargs) -> None:
    invalidate()
    transaction.on_commit(invalidate)


for _model in (
    "milestones.Milestone",
    "measures.Measure",
    "measures.ProgressUpdate",
    "measures.Indicator",
    "measures.IndicatorValue",
    "plans.Plan",
    "plans.Pillar",
    "plans.Department",
    "plans.NationalItem",
    "evaluations.EvaluationRound",
    "evaluations.MeasureEvaluation",
):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"dash-cache-save-{_model}", weak=False)
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"dash-cache-delete-{_model}", weak=False)


@receiver(m2m_changed, sender="measures.Measure_national_items", dispatch_uid="dash-cache-items")
def _items_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        _changed()


@receiver(bulk_refreshed, dispatch_uid="dash-cache-bulk")
def _bulk_refreshed(sender, **kwargs) -> None:
    _changed()


@receiver(values_recorded, dispatch_uid="dash-cache-kpi-values")
def _kpi_values_recorded(sender, **kwargs) -> None:
    _changed()
