"""費用対価値 against a hand computation, the 進捗状況報告書 (.xlsx and A4), and the money filters."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import selectors, services
from evaluations.models import MeasureEvaluation
from measures.templatetags.money import money, money_words, yen
from plans.models import Pillar

from .factories import IndicatorFactory, IndicatorValueFactory, MeasureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(cast):
    """Three measures (see the hand computation in each test):
    M01 joho, budget 1,000, items 1+3, pillar P1, KPI 10 → 60 (higher), actual 45, 決算 1,200, 300 h saved;
    M02 shimin, budget 500, item 3, pillar P1, KPI 100 → 50 (lower), actual 80, no 決算, no hours;
    M03 shimin, no budget, item 1, no pillar, no KPI."""
    p1 = Pillar.objects.create(plan=cast.plan, code="P1", name="行かない窓口")
    m1 = cast.measure
    m1.budget_thousand_yen, m1.pillar, m1.change_level, m1.is_gx = 1000, p1, "transformation", True
    m1.save()
    k1 = IndicatorFactory(measure=m1, name="オンライン申請件数", unit="件", baseline_value=10, target_value=60)
    IndicatorValueFactory(indicator=k1, value=45, as_of=dt.date(2026, 3, 31))
    m2 = MeasureFactory(
        plan=cast.plan,
        owner_department=cast.shimin,
        code="M02",
        budget_thousand_yen=500,
        pillar=p1,
        items=[3],
        change_level="digitization",
    )
    k2 = IndicatorFactory(measure=m2, unit="分", direction="lower", baseline_value=100, target_value=50)
    IndicatorValueFactory(indicator=k2, value=80, as_of=dt.date(2026, 3, 1))
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="M03", items=[1])
    round_ = services.open_round(plan=cast.plan, fiscal_year=2025, user=cast.admin)
    e1 = MeasureEvaluation.objects.get(round=round_, measure=m1)
    services.save_draft(
        evaluation=e1,
        user=cast.alice,
        achievements='=HYPERLINK("http://evil")',
        self_grade="B",
        direction="expand",
        settled_cost_thousand_yen=1200,
        hours_saved_per_year=Decimal("300"),
        issues="@SUM(1)",
    )
    return round_


def test_per_measure_figures_match_the_hand_computation(cast, city):
    data = selectors.value_for_money(plan=cast.plan)
    rows = {r.measure.code: r for r in data.measures}
    m1, m2, m3 = rows["M01"], rows["M02"], rows["M03"]
    # M01: cost = 決算 1,200千円; achievement (45−10)/(60−10) = 0.7; 1,200,000円 / 300 h = 4,000円;
    # 1,200,000円 / (45−10)件 = 34,285.7 → 34,286円/件
    assert (m1.cost, m1.cost_is_budget, m1.achievement_percent) == (1200, False, 70)
    assert m1.cost_per_hour_yen == 4000 and m1.unit_cost == (Decimal("34286"), "件")
    # M02: no 決算 → budget 500千円; lower is better: (80−100)/(50−100) = 0.4; improvement 20分 → 25,000円/分
    assert (m2.cost, m2.cost_is_budget, m2.achievement_percent) == (500, True, 40)
    assert m2.cost_per_hour_yen is None and m2.unit_cost == (Decimal("25000"), "分")
    # M03: nothing to compute
    assert (m3.cost, m3.achievement, m3.unit_cost) == (None, None, None)


def test_group_figures_match_the_hand_computation(cast, city):
    data = selectors.value_for_money(plan=cast.plan)
    items = {row.label.split(".")[0]: row for row in data.items}
    # item 1: M01 + M03 → cost 1,200, hours 300, achievement 70 % (M03 has none)
    assert (items["1"].measure_count, items["1"].cost, items["1"].hours_saved, items["1"].achievement_percent) == (
        2,
        1200,
        300,
        70,
    )
    # item 3: M01 + M02 → cost 1,700, achievement (0.7 + 0.4) / 2 = 55 %, 1,700,000 / 300 = 5,667円/h
    assert (items["3"].cost, items["3"].achievement_percent, items["3"].cost_per_hour_yen) == (1700, 55, 5667)
    pillars = {row.label: row for row in data.pillars}
    assert (pillars["行かない窓口"].cost, pillars["行かない窓口"].measure_count) == (1700, 2)
    assert pillars["柱の指定なし"].cost is None
    assert (data.total.cost, data.total.achievement_percent) == (1700, 55)


def test_sorting_keeps_rows_without_the_figure_last(cast, city):
    assert [r.measure.code for r in selectors.value_for_money(plan=cast.plan, sort="-cost").measures] == [
        "M01",
        "M02",
        "M03",
    ]
    assert [r.measure.code for r in selectors.value_for_money(plan=cast.plan, sort="cost").measures] == [
        "M02",
        "M01",
        "M03",
    ]
    assert [r.measure.code for r in selectors.value_for_money(plan=cast.plan, sort="bogus").measures] == [
        "M01",
        "M02",
        "M03",
    ]


def test_filters_by_the_value_lens_attributes(cast, city):
    only = selectors.value_for_money(plan=cast.plan, filters=selectors.ValueFilters(change_level="digitization"))
    assert [r.measure.code for r in only.measures] == ["M02"]
    gx = selectors.value_for_money(plan=cast.plan, filters=selectors.ValueFilters(tag="gx"))
    assert [r.measure.code for r in gx.measures] == ["M01"]


def test_value_for_money_runs_a_fixed_number_of_queries(cast, city, django_assert_max_num_queries):
    for n in range(5):
        MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code=f"X{n}", items=[2, 4])
    with django_assert_max_num_queries(7):
        selectors.value_for_money(plan=cast.plan)


def test_the_page_states_the_rule_and_formats_money(client, cast, city):
    client.force_login(cast.council)
    response = client.get(reverse("evaluations:value"), {"sort": "-cost"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "費用＝事業費の決算（千円）" in html and "1,200千円" in html and "4,000円" in html
    assert html.index("M01") < html.index("M02")


def _approve(cast, round_):
    for evaluation in round_.evaluations.select_related("measure"):
        user = cast.alice if evaluation.measure.owner_department_id == cast.joho.pk else cast.admin
        if evaluation.measure.code != "M01":
            services.save_draft(
                evaluation=evaluation, user=user, achievements="実施", self_grade="C", direction="improve"
            )
        services.submit(evaluation=evaluation, user=user)
        services.accept(evaluation=evaluation, user=cast.admin)
    return services.approve_round(round=round_, user=cast.admin)


def test_the_report_workbook_has_every_measure_and_neutralised_cells(client, cast, city):
    _approve(cast, city)
    client.force_login(cast.council)
    response = client.get(reverse("evaluations:report_xlsx", args=[city.pk]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows.index(next(r for r in rows if r[0] == "施策の柱"))
    body = {r[1]: r for r in rows[header + 1 :]}
    assert set(body) == {"M01", "M02", "M03"}
    m1 = dict(zip(rows[header], body["M01"], strict=True))
    assert m1["取組内容（取組実績）"] == '\'=HYPERLINK("http://evil")' and m1["課題"] == "'@SUM(1)"
    assert (m1["基準値"], m1["目標値"], m1["実績値"], m1["達成度（%）"], m1["KPI区分"]) == (
        10,
        60,
        45,
        70,
        "C",
    )  # 70 % ≥ 50 % → C
    assert (m1["自己評価"], m1["今後の方向性"], m1["事業費 決算（千円）"]) == ("B", "拡充", 1200)
    assert all(not (isinstance(c, str) and c.startswith(("=", "+", "-", "@"))) for r in rows for c in r)


def test_the_printable_report_lists_pillars_then_measures(client, cast, city):
    _approve(cast, city)
    client.force_login(cast.viewer)
    html = client.get(reverse("evaluations:report", args=[city.pk])).content.decode()
    assert html.index("行かない窓口") < html.index("M01") < html.index("柱の指定なし") < html.index("M03")
    assert "拡充" in html and "1,200千円" in html and "差戻し" not in html


@pytest.mark.parametrize("value, expected", [(480000, "480,000千円"), (0, "0千円"), (None, "—"), ("x", "—")])
def test_money_is_thousands_of_yen_with_separators(value, expected):
    assert money(value) == expected


@pytest.mark.parametrize(
    "value, expected", [(480000, "4億8,000万円"), (1234, "123万4,000円"), (100000, "1億円"), (0, "0円"), (None, "—")]
)
def test_money_words_reads_in_oku_and_man(value, expected):
    assert money_words(value) == expected


def test_yen_has_separators():
    assert yen(Decimal("34286")) == "34,286円" and yen(None) == "—"


def test_the_open_data_api_lists_approved_reports_without_internal_fields(client, cast, city, settings):
    evaluation = city.evaluations.get(measure=cast.measure)
    client.force_login(cast.council)
    assert client.get("/api/evaluation-reports/").json()["results"] == []  # not approved yet
    _approve(cast, city)
    rows = client.get("/api/evaluation-reports/", {"fiscal_year": 2025}).json()["results"]
    assert {r["measure_code"] for r in rows} == {"M01", "M02", "M03"}
    m1 = next(r for r in rows if r["measure_code"] == "M01")
    assert (m1["self_grade"], m1["direction_label"], m1["settled_cost_thousand_yen"]) == ("B", "拡充", 1200)
    assert m1["kpis"][0]["actual_value"] == "45.0000" and m1["id"] == evaluation.pk
    assert not {"return_comment", "submitted_by", "reviewed_by"} & set(m1)
    client.logout()
    settings.PUBLIC_DASHBOARD = True
    assert client.get("/api/evaluation-reports/").json()["results"] == []  # approved, not yet published
    services.publish_round(round=city, user=cast.admin)
    assert len(client.get("/api/evaluation-reports/").json()["results"]) == 3
    client.force_login(cast.mallory)
    assert client.get("/api/evaluation-reports/").json()["results"] == []  # another city's


def test_plain_number_drops_trailing_zeros():
    from measures.templatetags.money import plain_number

    assert (plain_number(Decimal("48.5000")), plain_number(Decimal("90.0000")), plain_number(12000)) == (
        "48.5",
        "90",
        "12,000",
    )


def test_the_dashboard_card_shows_the_same_total_as_the_page(client, cast, city, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        summary = selectors.value_summary(plan=cast.plan)
    assert summary.cost == selectors.value_for_money(plan=cast.plan).total.cost == 1700
    assert (summary.hours_saved, summary.cost_per_hour_yen, summary.evaluations) == (300, 5667, 3)
    client.force_login(cast.council)
    html = client.get(reverse("dashboard:overview")).content.decode()
    assert "費用対価値（令和7年度）" in html and "1,700千円" in html and "5,667円" in html
    assert selectors.value_summary(plan=cast.plan, published_only=True) is None  # the public sees published only
