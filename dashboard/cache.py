"""Rendered dashboard bodies, cached under a version per plan (and one global version).

A write the dashboards show (milestones, measures, progress updates, KPIs and their values, plans, pillars,
departments, item links, evaluations) bumps the version of the plan it belongs to — at once and again after
commit, so a reader racing a transaction cannot keep pre-commit numbers — and that plan's cached bodies become
unreachable; other municipalities' plans keep theirs. Writes that concern every plan (a national item, a bulk
roll-up refresh of all plans) bump the global version, which is part of every key. Bulk writers that bypass
signals refresh the roll-up, whose `bulk_refreshed(plan_ids=…)` signal invalidates those plans, and the KPI
values' bulk write sends `values_recorded(indicator_ids=…)`; DASHBOARD_CACHE_SECONDS bounds anything missed.
The cache is settings.DASHBOARD_CACHE (Redis when REDIS_URL is set, so every worker sees the same versions;
per-process memory otherwise). 0 seconds turns caching off.

The write path finds the plan without a query when the instance carries plan_id (milestones, measures,
indicators, pillars, evaluation rounds, plans); progress updates, KPI values and measure evaluations use the
related object Django already holds, else one small query; a department costs one query (the plans of its
municipality). When the plan cannot be found (a cascade already removed it), the global version is bumped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from measures.rollup import bulk_refreshed
from measures.services import values_recorded

VERSION_KEY = "dash:version"  # the global version: part of every key
PLAN_VERSION_KEY = "dash:version:plan:{}"


def _cache():
    return caches[getattr(settings, "DASHBOARD_CACHE", "default")]


def _seconds() -> int:
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 0))


def plan_version_key(plan_id: int) -> str:
    return PLAN_VERSION_KEY.format(plan_id)


def _bump(cache, key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not set yet (or evicted): any new value makes old keys unreachable
        cache.set(key, time.time_ns() // 1000, None)


def invalidate(plan_ids: Iterable[int] | None = None) -> None:
    """Bump the versions of these plans; None: the global version (every plan's bodies)."""
    cache = _cache()
    if plan_ids is None:
        _bump(cache, VERSION_KEY)
        return
    for plan_id in set(plan_ids):
        _bump(cache, plan_version_key(plan_id))


def cached_html(parts: tuple, render: Callable[[], str], *, plan_id: int | None = None) -> str:
    """The body for these parts (view, plan, filter, page, day, language, audience), rendered once per version
    of its plan (plan_id) and of the whole (the global version)."""
    seconds = _seconds()
    if seconds <= 0:
        return render()
    cache = _cache()
    keys = [VERSION_KEY] if plan_id is None else [VERSION_KEY, plan_version_key(plan_id)]
    versions = cache.get_many(keys)
    for key in keys:
        if key not in versions:
            cache.add(key, time.time_ns() // 1000, None)
            versions[key] = cache.get(key)
    key = "dash:body:" + hashlib.sha256(repr((tuple(versions[k] for k in keys), *parts)).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, seconds)
    return html


def _changed(plan_ids: Iterable[int] | None) -> None:
    ids = None if plan_ids is None else sorted(set(plan_ids))
    if ids == []:
        return
    invalidate(ids)
    transaction.on_commit(lambda: invalidate(ids))


def _related_plan_id(instance, field: str, model: str, pk) -> int | None:
    """The plan of a related object: from the object Django already holds, else one query."""
    related = instance._state.fields_cache.get(field)
    if related is not None and getattr(related, "plan_id", None) is not None:
        return related.plan_id
    if pk is None:
        return None
    return apps.get_model(model).objects.filter(pk=pk).values_list("plan_id", flat=True).first()


def _plan_ids_of(instance) -> list[int] | None:
    """The plans a saved or deleted instance shows on; None: unknown (bump the global version)."""
    label = instance._meta.label
    if label == "plans.Plan":
        return [instance.pk]
    if label == "plans.NationalItem":
        return None
    if label == "plans.Department":
        Plan = apps.get_model("plans", "Plan")
        return list(Plan.objects.filter(municipality_id=instance.municipality_id).values_list("id", flat=True))
    if label == "measures.ProgressUpdate":
        plan_id = _related_plan_id(instance, "measure", "measures.Measure", instance.measure_id)
    elif label == "measures.IndicatorValue":
        plan_id = _related_plan_id(instance, "indicator", "measures.Indicator", instance.indicator_id)
    elif label == "evaluations.MeasureEvaluation":
        plan_id = _related_plan_id(instance, "round", "evaluations.EvaluationRound", instance.round_id)
    else:  # Milestone, Measure, Indicator, Pillar, EvaluationRound carry their plan
        plan_id = getattr(instance, "plan_id", None)
    return None if plan_id is None else [plan_id]


def _saved_or_deleted(sender, instance, **kwargs) -> None:
    _changed(_plan_ids_of(instance))


MODELS = (
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
)

for _model in MODELS:
    post_save.connect(_saved_or_deleted, sender=_model, dispatch_uid=f"dash-cache-save-{_model}", weak=False)
    post_delete.connect(_saved_or_deleted, sender=_model, dispatch_uid=f"dash-cache-delete-{_model}", weak=False)


@receiver(m2m_changed, sender="measures.Measure_national_items", dispatch_uid="dash-cache-items")
def _items_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:  # measure.national_items.add(...): the measure's plan
        _changed([instance.plan_id])
    elif pk_set:  # item.measures.add(...): the plans of those measures
        Measure = apps.get_model("measures", "Measure")
        _changed(Measure.objects.filter(pk__in=pk_set).values_list("plan_id", flat=True).distinct())
    else:  # item.measures.clear(): which measures were linked is gone
        _changed(None)


@receiver(bulk_refreshed, dispatch_uid="dash-cache-bulk")
def _bulk_refreshed(sender, plan_ids=None, **kwargs) -> None:
    _changed(None if plan_ids is None else list(plan_ids))


@receiver(values_recorded, dispatch_uid="dash-cache-kpi-values")
def _kpi_values_recorded(sender, indicator_ids=None, **kwargs) -> None:
    if indicator_ids is None:
        _changed(None)
        return
    Indicator = apps.get_model("measures", "Indicator")
    _changed(Indicator.objects.filter(pk__in=list(indicator_ids)).values_list("plan_id", flat=True).distinct())
