"""Council dashboards: overview, drill-down lists, timeline, comparison, exports. Read-only: every
view is GET-only (POST → 405), whoever asks. Numbers come from selectors; views only choose the plan and
parse the filter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.fiscal import fiscal_year
from evaluations.selectors import value_summary
from jobs.services import runs_inline, start_job
from measures.models import ChangeLevel
from measures.progress import GRADE_RULE, Health
from milestones.selectors import with_slippage
from plans import audit
from plans.models import FrameworkEdition, Municipality, Plan
from plans.permissions import Access, access_for
from plans.selectors import visible_plans

from . import charts, deadlines, exports
from .cache import cached_html
from .compare import compare_municipalities, visible_municipalities_q
from .history import validate_as_of
from .jobs import COMPARE_EXPORT
from .paging import PER_PAGE, page_number, paginate
from .selectors import (
    HEALTH_KEYS,
    MILESTONE_STATES,
    TIMELINE_GROUPS,
    Filters,
    filter_choices,
    kpi_card_page,
    kpi_cards,
    measure_rows,
    milestone_list,
    plan_overview,
    plan_timeline,
)
from .timeline_html import gantt_rows

GROUP_LABELS = (
    ("", gettext_lazy("施策の順")),
    ("item", gettext_lazy("国の取組事項ごと")),
    ("dept", gettext_lazy("担当部署ごと")),
    ("pillar", gettext_lazy("施策の柱ごと")),
)

STATE_LABELS = {
    "all": gettext_lazy("すべて（中止を除く）"),
    "done": gettext_lazy("完了"),
    "open": gettext_lazy("未完了"),
    "overdue": gettext_lazy("期限超過"),
    "due_soon": gettext_lazy("30日以内に期限"),
    "cancelled": gettext_lazy("中止"),
}


@dataclass
class Context:
    access: Access
    public: bool  # an anonymous visitor in public mode: approved plans only, no internal comments, no names
    plan: Plan | None
    filters: Filters
    errors: list[str]
    today: dt.date  # the day the numbers are for: the real today, or the past day of an as-of view
    as_of: dt.date | None = None  # set: a past view, rebuilt from the history (dashboard/history.py)
    edition: FrameworkEdition | None = None  # set: the plan shown against a later edition via the crosswalk

    def query(self, **extra) -> str:
        params = self.filters.as_query(**extra)
        if self.as_of is not None:
            params.setdefault("as_of", self.as_of.isoformat())
        if self.edition is not None:
            params.setdefault("edition", self.edition.code)
        if self.plan is not None:
            params = {"plan": self.plan.code, **params}
            if self.public or self.access.is_superuser:
                params = {"muni": self.plan.municipality.code, **params}
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _int(request: HttpRequest, name: str, label: str, errors: list[str], *, lo: int = 1, hi: int = 10**9) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError
        return value
    except ValueError:
        errors.append(
            _("%(label)s の指定「%(value)s」は正しくないため、無視しました。") % {"label": label, "value": raw[:40]}
        )
        return None


def _context(request: HttpRequest) -> Context:
    """Who is asking, which plan they may see, and the filter. Raises 404/403 or returns a login redirect."""
    access = access_for(request.user)
    public = False
    if not request.user.is_authenticated:
        if not settings.PUBLIC_DASHBOARD:
            raise _LoginRequired
        public = True
    elif access.role is None or (access.municipality_id is None and not access.is_superuser):
        raise PermissionDenied
    errors: list[str] = []
    today = timezone.localdate()
    plans = visible_plans(request.user).select_related("municipality", "edition")
    muni_code = request.GET.get("muni", "").strip()
    if muni_code and (public or access.is_superuser):  # everyone else sees one municipality anyway
        plans = plans.filter(municipality__code=muni_code)
    code = request.GET.get("plan", "").strip()
    if code:
        plan = plans.filter(code=code).order_by("municipality__code").first()
        if plan is None:
            raise Http404
    else:
        plan = plans.filter(status=Plan.Status.APPROVED).order_by("municipality__code", "-start_fy", "-id").first()
        if plan is None and not public:
            plan = plans.exclude(status=Plan.Status.ARCHIVED).order_by("-start_fy", "-id").first()
    fy = _int(request, "fy", _("年度"), errors, lo=1900, hi=2200)
    health = request.GET.get("health", "").strip() or None
    if health and health not in HEALTH_KEYS:
        errors.append(_("状況の指定「%(value)s」は正しくないため、無視しました。") % {"value": health[:40]})
        health = None
    level = request.GET.get("level", "").strip() or None
    if level and level not in ChangeLevel.values:
        errors.append(_("変革の段階の指定「%(value)s」は正しくないため、無視しました。") % {"value": level[:40]})
        level = None
    group = request.GET.get("group", "").strip() or None
    if group and group not in TIMELINE_GROUPS:
        errors.append(_("まとめ方の指定「%(value)s」は正しくないため、無視しました。") % {"value": group[:40]})
        group = None
    filters = Filters(
        fy=fy,
        level=level,
        department=_int(request, "dept", _("部署"), errors),
        item=_int(request, "item", _("国の取組事項"), errors, hi=99),
        health=health,
        pillar=_int(request, "pillar", _("施策の柱"), errors, lo=0),
        measure=_int(request, "measure", _("施策"), errors),
        rollup=request.GET.get("rollup", "") == "1",
        group=group,
    )
    as_of = parse_day(request, "as_of", _("基準日"))
    if as_of is not None and plan is not None:
        problem = validate_as_of(plan=plan, day=as_of, today=today)
        if problem:
            raise BadInput(problem)
    edition = None
    edition_code = request.GET.get("edition", "").strip()
    if edition_code and plan is not None and edition_code != plan.edition.code:
        edition = FrameworkEdition.objects.filter(code=edition_code).first()
        if edition is None:
            known = "、".join(f"{e.code}（{e.name}）" for e in FrameworkEdition.objects.order_by("published_on"))
            raise BadInput(
                _("国の計画の版「%(value)s」はありません。指定できる版: %(known)s")
                % {"value": edition_code[:40], "known": known}
            )
    return Context(
        access=access,
        public=public,
        plan=plan,
        filters=filters,
        errors=errors,
        today=as_of or today,
        as_of=as_of,
        edition=edition,
    )


def parse_day(request: HttpRequest, name: str, label: str) -> dt.date | None:
    """A YYYY-MM-DD date parameter; anything else is bad input (400 with a Japanese message)."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadInput(
            _("%(label)s「%(value)s」は日付として読めません。YYYY-MM-DD（例: 2025-09-01）の形で指定してください。")
            % {"label": label, "value": raw[:40]}
        ) from None


class _LoginRequired(Exception):
    pass


class BadInput(Exception):
    """A parameter the page cannot be shown with: answered by a 400 page with the message, never a 500."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _guard(view):
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _LoginRequired:
            return redirect_to_login(request.get_full_path())
        except BadInput as exc:
            return render(request, "dashboard/bad_input.html", {"message": exc.message}, status=400)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


def _base(ctx: Context, *, tab: str = "", filters_from=None, **extra) -> dict:
    if filters_from is None and ctx.plan is not None and tab in ("overview", "timeline", "drill"):
        filters_from = filter_choices(plan=ctx.plan)
    return {
        "tab": tab,
        "show_filters": filters_from is not None,
        **(filters_from or {}),
        "ctx": ctx,
        "plan": ctx.plan,
        "filters": ctx.filters,
        "today": ctx.today,
        "public": ctx.public,
        "query": ctx.query(),
        "health_choices": [(h, Health.label(h)) for h in HEALTH_KEYS],
        "grade_rule": GRADE_RULE,
        "link_details": not ctx.public,
        "measures_url": reverse("dashboard:measures"),
        "milestones_url": reverse("dashboard:milestones"),
        "kpis_url": reverse("dashboard:kpis"),
        **extra,
    }


DEADLINE_MILESTONES_SHOWN = 5  # per national item on the overview; the item's measures list has the rest


def _detail_url(name: str):
    """A detail page's URL for an id, reversed once (not once per row)."""
    marker = 999999999
    return reverse(name, args=[marker]).replace(str(marker), "{}").format


def _group_links(ctx: Context, rows, param: str | None) -> None:
    """The drill-down query strings of group-table rows, built once in Python (not per cell in the template).
    Each link keeps the page's filter and sets the row's key (and a health or a milestone state)."""
    drop = {"health": "", "state": ""}
    if param:
        drop[param] = ""
    base = ctx.query(**drop)
    labels = [(h, Health.label(h)) for h in HEALTH_KEYS]
    for row in rows:
        q = f"{base}&{param}={row.key}" if param else base
        row.q = q
        row.q_health = [(h, label, row.by_health.get(h, 0), f"{q}&health={h}") for h, label in labels]
        row.q_state = {st: f"{q}&state={st}" for st in ("done", "all", "overdue", "due_soon")}
        if ctx.filters.health:  # the page's health filter stays on the other links
            row.q = f"{q}&health={ctx.filters.health}"
            row.q_state = {st: f"{v}&health={ctx.filters.health}" for st, v in row.q_state.items()}


@_guard
def overview(request: HttpRequest) -> HttpResponse:
    """The plan at a glance: the 11 national items, departments, pillars, late and due-soon lists, KPIs."""
    ctx = _context(request)
    if ctx.plan is None:
        return render(request, "dashboard/no_plan.html", _base(ctx))

    def body() -> str:
        data = plan_overview(plan=ctx.plan, filters=ctx.filters, today=ctx.today, as_of=ctx.as_of)
        risks = deadlines.deadline_risks(plan=ctx.plan, today=ctx.today, as_of=ctx.as_of)
        against = (
            deadlines.against_edition(
                rows=measure_rows(plan=ctx.plan, filters=ctx.filters, today=ctx.today, as_of=ctx.as_of),
                plan=ctx.plan,
                edition=ctx.edition,
            )
            if ctx.edition
            else None
        )
        chart = charts.progress_bars(
            data.items,
            uid="items",
            title=_("国の取組事項ごとの進捗率"),
            desc=_("各取組事項の進捗率と状況。数値は下の表にもあります。"),
        )
        for row in data.items:
            row.bar = charts.mini_bar(row.percent, row.health)
        milestone_url, measure_url = _detail_url("milestones:detail"), _detail_url("measures:detail")
        _group_links(ctx, data.items, "item")
        _group_links(ctx, data.departments, "dept")
        _group_links(ctx, data.pillars, "pillar")
        for r in risks:
            r.shown = r.milestones[:DEADLINE_MILESTONES_SHOWN]
            r.more = r.milestone_count - len(r.shown)
            for m in r.shown:
                m.url = milestone_url(m.pk)
        for m in (*data.overdue, *data.due_soon):
            m.days_overdue = (ctx.today - m.due_date).days
            m.days_left = (m.due_date - ctx.today).days
            m.url, m.measure_url = milestone_url(m.pk), measure_url(m.measure_id)
        for card in data.kpis:
            card.svg = charts.kpi_chart_for_card(card, today=ctx.today, width=420, height=250)
        value_card = value_summary(plan=ctx.plan, published_only=ctx.public)
        choices = {
            "fiscal_years": data.fiscal_years,
            "department_choices": data.department_choices,
            "item_choices": data.item_choices,
            "level_choices": list(ChangeLevel.choices),
            "edition_choices": list(
                FrameworkEdition.objects.exclude(pk=ctx.plan.edition_id)
                .order_by("published_on")
                .values_list("code", "name")
            ),
        }
        return render_to_string(
            "dashboard/overview_body.html",
            _base(
                ctx,
                tab="overview",
                filters_from=choices,
                data=data,
                chart=chart,
                risks=risks,
                against=against,
                value_card=value_card,
                pattern_defs=charts.pattern_defs(),
            ),
            request,
        )

    return render(
        request,
        "dashboard/overview.html",
        _base(
            ctx,
            tab="overview",
            filters_from={},
            body=cached_html(_cache_parts(ctx, "overview"), body, plan_id=ctx.plan.pk),
        ),
    )


def _pager_links(ctx: Context, pager, **extra) -> dict:
    return {
        "pager": pager,
        "page_prev_query": ctx.query(page=pager.number - 1, **extra) if pager.has_prev else "",
        "page_next_query": ctx.query(page=pager.number + 1, **extra) if pager.has_next else "",
    }


def _drill_page(request: HttpRequest, ctx: Context, view: str, template: str, body, *extra_parts) -> HttpResponse:
    """A drill-down: its body cached like the overview (per plan version), inside the page layout."""
    number = page_number(request.GET.get("page"))
    html = cached_html(_cache_parts(ctx, view, number, *extra_parts), lambda: body(number), plan_id=ctx.plan.pk)
    return render(request, template, _base(ctx, tab="drill", filters_from={}, body=html))


@_guard
def measures(request: HttpRequest) -> HttpResponse:
    """Drill-down: the measures a number on the overview counts (a page of PER_PAGE; the export has all)."""
    ctx = _context(request)
    if ctx.plan is None:
        raise Http404

    def body(number: int) -> str:
        rows = measure_rows(plan=ctx.plan, filters=ctx.filters, today=ctx.today, as_of=ctx.as_of)
        item_deadline = (
            deadlines.item_deadline(plan=ctx.plan, number=ctx.filters.item, today=ctx.today, as_of=ctx.as_of)
            if ctx.filters.item
            else None
        )
        pager = paginate(len(rows), number)
        shown = pager.window(rows)
        measure_url = _detail_url("measures:detail")
        for r in shown:
            r.url = measure_url(r.id)
        return render_to_string(
            "dashboard/measures_body.html",
            _base(
                ctx,
                tab="drill",
                total=len(rows),
                rows=shown,
                item_deadline=item_deadline,
                overdue_query=ctx.query(state="overdue"),
                **_pager_links(ctx, pager),
            ),
            request,
        )

    return _drill_page(request, ctx, "measures", "dashboard/measures.html", body)


@_guard
def kpis(request: HttpRequest) -> HttpResponse:
    """Drill-down: every KPI of the filtered measures, optionally one grade (A–D, "-" = not gradable); the
    cards (with their charts) a page at a time."""
    ctx = _context(request)
    if ctx.plan is None:
        raise Http404
    grade = request.GET.get("grade", "").strip()

    def body(number: int) -> str:
        cards, pager = kpi_card_page(
            plan=ctx.plan, filters=ctx.filters, today=ctx.today, grade=grade or None, as_of=ctx.as_of, page=number
        )
        measure_url = _detail_url("measures:detail")
        for card in cards:
            card.svg = charts.kpi_chart_for_card(card, today=ctx.today)
            card.url = measure_url(card.measure_id)
        return render_to_string(
            "dashboard/kpis_body.html",
            _base(
                ctx, tab="drill", cards=cards, grade=grade, total=pager.total, **_pager_links(ctx, pager, grade=grade)
            ),
            request,
        )

    return _drill_page(request, ctx, "kpis", "dashboard/kpis.html", body, grade)


@_guard
def milestones(request: HttpRequest) -> HttpResponse:
    """Drill-down: the milestones a number counts (state: all / done / open / overdue / due_soon / cancelled),
    a page of PER_PAGE at a time."""
    ctx = _context(request)
    if ctx.plan is None:
        raise Http404
    state = request.GET.get("state", "all")
    if state not in MILESTONE_STATES:
        ctx.errors.append(_("区分の指定「%(value)s」は正しくないため、すべてを表示します。") % {"value": state[:40]})
        state = "all"

    def body(number: int) -> str:
        found = milestone_list(plan=ctx.plan, filters=ctx.filters, state=state, today=ctx.today, as_of=ctx.as_of)
        total = len(found) if isinstance(found, list) else found.count()
        pager = paginate(total, number)
        items = list(pager.window(found))
        milestone_url, measure_url = _detail_url("milestones:detail"), _detail_url("measures:detail")
        for m in items:
            m.url, m.measure_url = milestone_url(m.pk), measure_url(m.measure_id)
        return render_to_string(
            "dashboard/milestones_body.html",
            _base(
                ctx,
                tab="drill",
                milestones=items,
                total=total,
                state=state,
                state_query=ctx.query(state=state),
                state_choices=[(k, STATE_LABELS[k], ctx.query(state=k)) for k in MILESTONE_STATES],
                **_pager_links(ctx, pager, state=state),
            ),
            request,
        )

    return _drill_page(request, ctx, "milestones", "dashboard/milestones.html", body, state)


@_guard
def timeline(request: HttpRequest) -> HttpResponse:
    """工程表: milestones by fiscal year and quarter, grouped by measure, today's quarter marked."""
    ctx = _context(request)
    if ctx.plan is None:
        return render(request, "dashboard/no_plan.html", _base(ctx))

    if ctx.filters.fy is None:  # one fiscal year a page: this year's, within the plan's period
        this_year = fiscal_year(ctx.today)
        ctx.filters = replace(ctx.filters, fy=min(max(this_year, ctx.plan.start_fy), ctx.plan.end_fy))

    number = page_number(request.GET.get("page"))

    def body() -> str:
        data = plan_timeline(
            plan=ctx.plan, filters=ctx.filters, today=ctx.today, as_of=ctx.as_of, page=number, per_page=PER_PAGE
        )
        gantt_rows(data, link=not ctx.public)
        fy = ctx.filters.fy
        years = data.fiscal_years
        return render_to_string(
            "dashboard/timeline_body.html",
            _base(
                ctx,
                tab="timeline",
                data=data,
                fy=fy,
                header=charts.gantt_header(fy=fy, today=ctx.today),
                prev_fy=fy - 1 if fy - 1 in years else None,
                next_fy=fy + 1 if fy + 1 in years else None,
                year_links=[(y, ctx.query(fy=y)) for y in years],
                prev_query=ctx.query(fy=fy - 1),
                next_query=ctx.query(fy=fy + 1),
                group_links=[(key, label, ctx.query(group=key)) for key, label in GROUP_LABELS],
                **_pager_links(ctx, data.pager),
            ),
            request,
        )

    html = cached_html(_cache_parts(ctx, "timeline", number), body, plan_id=ctx.plan.pk)
    return render(request, "dashboard/timeline.html", _base(ctx, tab="timeline", filters_from={}, body=html))


def _cache_parts(ctx: Context, view: str, *extra) -> tuple:
    """Everything a cached body depends on besides the data versions (the plan's and the global one)."""
    return (
        view,
        *extra,
        ctx.plan.pk,
        ctx.plan.updated_at.isoformat(),
        ctx.filters,
        ctx.today.isoformat(),
        get_language(),
        ctx.public,
        ctx.public or ctx.access.is_superuser,
        ctx.as_of,
        ctx.edition.code if ctx.edition else None,
    )


@_guard
def compare(request: HttpRequest) -> HttpResponse:
    """Comparison on the national items: a municipality sees itself, prefecture/national viewers see more."""
    ctx = _context(request)
    if ctx.public:
        raise _LoginRequired
    comparison = _comparison(request, ctx)
    pref = f"pref={comparison.prefecture}" if comparison.prefecture else "all=1"
    sort = _int(request, "sort", _("並べ替え"), ctx.errors, lo=0, hi=len(comparison.items))
    if sort:  # by an item's progress, highest first; municipalities without a measure for it last
        comparison.rows.sort(key=lambda r: (r.cells[sort - 1].percent is None, -(r.cells[sort - 1].percent or 0)))
    base_query = f"pref={comparison.prefecture}&" if comparison.prefecture else ""
    return render(
        request,
        "dashboard/compare.html",
        _base(
            ctx,
            tab="compare",
            comparison=comparison,
            compare_query=pref,
            sort=sort,
            sort_base=base_query,
            heat=charts.heat_map(comparison, title=_("国の取組事項ごとの進捗率（団体×取組事項）")),
        ),
    )


def _comparison(request: HttpRequest, ctx: Context):
    a = ctx.access
    pref = request.GET.get("pref", "").strip()
    if pref and not (len(pref) == 2 and pref.isdigit()):
        ctx.errors.append(_("都道府県コードは2桁の数字で指定してください。"))
        pref = ""
    return compare_municipalities(
        municipality_filter=visible_municipalities_q(
            municipality_id=a.municipality_id, compare_scope=a.compare_scope, is_superuser=a.is_superuser
        ),
        today=ctx.today,
        prefecture=pref or None,
        edition=ctx.plan.edition if ctx.plan else None,
    )


def _compare_job(request: HttpRequest, ctx: Context, fmt: str) -> HttpResponse:
    pref = request.GET.get("pref", "").strip()
    pref = pref if len(pref) == 2 and pref.isdigit() else ""
    audit.record(
        request=request,
        action="export",
        target=f"{_('自治体間の比較')} ({fmt})",
        table="compare",
        format=fmt,
        as_of=ctx.today,
    )
    job = start_job(
        kind_name=COMPARE_EXPORT,
        user=request.user,
        request=request,
        municipality=Municipality.objects.filter(pk=ctx.access.municipality_id).first(),
        parameters={"pref": pref, "fmt": fmt, "edition_id": ctx.plan.edition_id if ctx.plan else None},
    )
    return redirect("jobs:detail", job.pk)


EXPORTABLE = (
    "items",
    "departments",
    "pillars",
    "overdue",
    "due_soon",
    "kpis",
    "measures",
    "milestones",
    "timeline",
    "compare",
)


@_guard
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """CSV / .xlsx of any dashboard table, with the page's filter."""
    if table not in EXPORTABLE or fmt not in ("csv", "xlsx"):
        raise Http404
    ctx = _context(request)
    if table == "compare":
        if ctx.public:
            raise _LoginRequired
        if not runs_inline():  # with a worker, the (possibly national) comparison is built in the background
            return _compare_job(request, ctx, fmt)
        t = exports.compare_table("compare", _("自治体間の比較"), _comparison(request, ctx))
        return exports.export_response(t, fmt=fmt, as_of=ctx.today, request=request)
    if ctx.plan is None:
        raise Http404
    plan, f, today, as_of = ctx.plan, ctx.filters, ctx.today, ctx.as_of
    if table in ("items", "departments", "pillars", "kpis"):
        data = plan_overview(plan=plan, filters=f, today=today, as_of=as_of)
        if table == "items":
            t = exports.group_table("items", _("国の取組事項ごとの進捗"), data.items, with_number=True)
        elif table == "departments":
            t = exports.group_table("departments", _("部署ごとの進捗"), data.departments)
        elif table == "pillars":
            t = exports.group_table("pillars", _("施策の柱ごとの進捗"), data.pillars)
        else:
            grade = request.GET.get("grade", "").strip() or None
            t = exports.kpi_table(
                "kpis", _("指標（KPI）"), kpi_cards(plan=plan, filters=f, today=today, grade=grade, as_of=as_of)
            )
    elif table in ("overdue", "due_soon"):
        t = exports.milestone_table(
            table,
            _("期限超過のマイルストーン") if table == "overdue" else _("30日以内に期限のマイルストーン"),
            _with_slippage(milestone_list(plan=plan, filters=f, state=table, today=today, as_of=as_of), as_of),
            late_on=today if table == "overdue" else None,
            comments=table == "overdue" and not ctx.public,
        )
    elif table == "milestones":
        state = request.GET.get("state", "all")
        state = state if state in MILESTONE_STATES else "all"
        t = exports.milestone_table(
            "milestones",
            _("マイルストーン"),
            _with_slippage(milestone_list(plan=plan, filters=f, state=state, today=today, as_of=as_of), as_of),
        )
    elif table == "measures":
        t = exports.measure_table("measures", _("施策"), measure_rows(plan=plan, filters=f, today=today, as_of=as_of))
    else:
        t = exports.timeline_table(
            "timeline", _("工程表"), plan_timeline(plan=plan, filters=f, today=today, as_of=as_of)
        )
    return exports.export_response(t, fmt=fmt, as_of=today, request=request)


def _with_slippage(milestones, as_of):
    """Today's milestones carry their approved due-date changes; a past view (rebuilt objects) shows none."""
    return milestones if as_of is not None else with_slippage(milestones)


# Public names for the feature apps above the dashboard (council pages use the same access rules and inputs).
dashboard_context = _context
dashboard_view = _guard
base_context = _base
