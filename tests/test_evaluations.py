"""The annual evaluation: opening a round, drafting, submitting, 差戻し, accepting, approving, publishing;
who may do each, what bad input says, and that nothing is written when a step is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evaluations import selectors, services
from evaluations.models import EvaluationRound, MeasureEvaluation
from evaluations.services import StateConflict

from .factories import IndicatorFactory, IndicatorValueFactory, MeasureFactory

pytestmark = pytest.mark.django_db

FILLED = dict(
    achievements="申請の9割をオンライン化",
    self_grade="B",
    outcomes="来庁者が減った",
    issues="高齢者の利用",
    direction="continue",
    settled_cost_thousand_yen=1200,
    hours_saved_per_year=Decimal("300"),
    evidence_links="https://example.jp/report.pdf",
)


def _open(cast, fy=2025):
    return services.open_round(plan=cast.plan, fiscal_year=fy, user=cast.admin)


def _evaluation(round_, measure):
    return MeasureEvaluation.objects.get(round=round_, measure=measure)


def test_opening_a_round_drafts_one_evaluation_per_measure_of_the_year_with_kpis_prefilled(cast):
    indicator = IndicatorFactory(measure=cast.measure, baseline_value=10, target_value=60)
    IndicatorValueFactory(indicator=indicator, value=30, as_of=dt.date(2025, 9, 30))
    IndicatorValueFactory(indicator=indicator, value=45, as_of=dt.date(2026, 3, 31))
    IndicatorValueFactory(indicator=indicator, value=99, as_of=dt.date(2026, 4, 1))  # FY2026: not this round's
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="OLD", start_fy=2023, end_fy=2024)
    shimin_measure = MeasureFactory(
        plan=cast.plan, owner_department=cast.shimin, code="S01", start_fy=None, end_fy=None
    )

    round_ = _open(cast)

    assert round_.state == EvaluationRound.State.OPEN and round_.grades == ["A", "B", "C", "D"]
    assert set(round_.evaluations.values_list("measure__code", flat=True)) == {"M01", "S01"}
    figure = _evaluation(round_, cast.measure).kpis.get()
    assert (figure.baseline_value, figure.target_value, figure.actual_value) == (10, 60, 45)
    assert _evaluation(round_, shimin_measure).state == MeasureEvaluation.State.DRAFT
    assert round_.history.count() == 1 and _evaluation(round_, cast.measure).history.count() == 1


def test_a_fiscal_year_outside_the_plan_is_refused_and_nothing_is_written(cast):
    with pytest.raises(ValidationError) as exc:
        services.open_round(plan=cast.plan, fiscal_year=2030, user=cast.admin)
    assert "計画期間" in str(exc.value)
    assert not EvaluationRound.objects.exists() and not MeasureEvaluation.objects.exists()


def test_a_year_cannot_be_opened_twice(cast):
    _open(cast)
    with pytest.raises(ValidationError, match="すでに開始"):
        _open(cast)
    assert EvaluationRound.objects.count() == 1


def test_only_the_secretariat_opens_a_round(cast):
    for user in (cast.alice, cast.council, cast.mallory):
        with pytest.raises(PermissionDenied):
            services.open_round(plan=cast.plan, fiscal_year=2025, user=user)
    assert not EvaluationRound.objects.exists()


def test_a_city_may_use_its_own_grade_scale(cast):
    round_ = services.open_round(plan=cast.plan, fiscal_year=2025, user=cast.admin, grade_scale="S、A、B、C")
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **(FILLED | {"self_grade": "S"}))
    with pytest.raises(ValidationError, match="S・A・B・C"):
        services.save_draft(evaluation=evaluation, user=cast.alice, **(FILLED | {"self_grade": "D"}))
    assert _evaluation(round_, cast.measure).self_grade == "S"
    with pytest.raises(ValidationError):
        services.open_round(plan=cast.plan, fiscal_year=2026, user=cast.admin, grade_scale="A")


def test_the_full_cycle_draft_submit_return_resubmit_accept_approve_publish(cast):
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)

    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    services.return_evaluation(evaluation=evaluation, user=cast.admin, comment="成果を数字で書いてください")
    evaluation.refresh_from_db()
    assert evaluation.state == MeasureEvaluation.State.RETURNED and "数字" in evaluation.return_comment

    services.save_draft(evaluation=evaluation, user=cast.alice, **(FILLED | {"outcomes": "来庁者が30%減った"}))
    services.submit(evaluation=evaluation, user=cast.alice)
    services.accept(evaluation=evaluation, user=cast.admin)
    approved = services.approve_round(round=round_, user=cast.admin)
    assert approved.state == EvaluationRound.State.APPROVED and approved.approved_by == cast.admin
    published = services.publish_round(round=round_, user=cast.admin)
    assert published.state == EvaluationRound.State.PUBLISHED

    states = [h.state for h in evaluation.history.order_by("history_date", "history_id")]
    assert states == ["draft", "draft", "submitted", "returned", "returned", "submitted", "accepted"]
    assert evaluation.history.latest().history_user == cast.admin


def test_staff_edit_only_their_departments_evaluations(cast):
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    for user in (cast.bob, cast.council, cast.viewer, cast.mallory):
        with pytest.raises(PermissionDenied, match="権限がありません"):
            services.save_draft(evaluation=evaluation, user=user, **FILLED)
        with pytest.raises(PermissionDenied):
            services.submit(evaluation=evaluation, user=user)
    evaluation.refresh_from_db()
    assert evaluation.achievements == "" and evaluation.state == MeasureEvaluation.State.DRAFT


def test_only_the_secretariat_reviews_and_approves(cast):
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    with pytest.raises(PermissionDenied):
        services.accept(evaluation=evaluation, user=cast.alice)
    with pytest.raises(PermissionDenied):
        services.return_evaluation(evaluation=evaluation, user=cast.alice, comment="x")
    with pytest.raises(PermissionDenied):
        services.approve_round(round=round_, user=cast.alice)
    evaluation.refresh_from_db()
    assert evaluation.state == MeasureEvaluation.State.SUBMITTED


def test_submitted_evaluations_are_not_editable_until_sent_back(cast):
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    with pytest.raises(StateConflict, match="提出済み"):
        services.save_draft(evaluation=evaluation, user=cast.alice, **(FILLED | {"achievements": "後から変更"}))
    assert _evaluation(round_, cast.measure).achievements == FILLED["achievements"]


def test_submitting_needs_achievements_grade_and_direction(cast):
    evaluation = _evaluation(_open(cast), cast.measure)
    with pytest.raises(ValidationError) as exc:
        services.submit(evaluation=evaluation, user=cast.alice)
    assert set(exc.value.message_dict) == {"achievements", "self_grade", "direction"}
    evaluation.refresh_from_db()
    assert evaluation.state == MeasureEvaluation.State.DRAFT


def test_a_return_needs_a_comment(cast):
    evaluation = _evaluation(_open(cast), cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    with pytest.raises(ValidationError, match="差戻しの理由"):
        services.return_evaluation(evaluation=evaluation, user=cast.admin, comment="  ")
    evaluation.refresh_from_db()
    assert evaluation.state == MeasureEvaluation.State.SUBMITTED


def test_approval_waits_for_every_evaluation_to_be_accepted(cast):
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S01")
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    services.accept(evaluation=evaluation, user=cast.admin)
    with pytest.raises(StateConflict, match="受理されていない評価が1件"):
        services.approve_round(round=round_, user=cast.admin)
    round_.refresh_from_db()
    assert round_.state == EvaluationRound.State.OPEN


def _approved_round(cast):
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    services.accept(evaluation=evaluation, user=cast.admin)
    return services.approve_round(round=round_, user=cast.admin), evaluation


def test_after_approval_nothing_is_editable_even_for_the_secretariat(cast):
    round_, evaluation = _approved_round(cast)
    for user in (cast.alice, cast.admin):
        with pytest.raises(StateConflict, match="確定"):
            services.save_draft(evaluation=evaluation, user=user, **(FILLED | {"achievements": "改ざん"}))
    with pytest.raises(StateConflict):
        services.return_evaluation(evaluation=evaluation, user=cast.admin, comment="やり直し")
    with pytest.raises(StateConflict):
        services.approve_round(round=round_, user=cast.admin)
    evaluation.refresh_from_db()
    assert evaluation.achievements == FILLED["achievements"] and evaluation.state == "accepted"


@pytest.mark.parametrize("cost, hours", [(-1, None), ("abc", None), (None, Decimal("-5"))])
def test_negative_or_non_numeric_figures_are_refused_and_nothing_is_written(cast, cost, hours):
    evaluation = _evaluation(_open(cast), cast.measure)
    with pytest.raises(ValidationError) as exc:
        services.save_draft(
            evaluation=evaluation,
            user=cast.alice,
            **(FILLED | {"settled_cost_thousand_yen": cost, "hours_saved_per_year": hours}),
        )
    assert "0以上" in str(exc.value)
    evaluation.refresh_from_db()
    assert evaluation.achievements == "" and evaluation.history.count() == 1


def test_evidence_links_must_be_web_addresses(cast):
    evaluation = _evaluation(_open(cast), cast.measure)
    with pytest.raises(ValidationError, match="URLとして読めません"):
        services.save_draft(
            evaluation=evaluation, user=cast.alice, **(FILLED | {"evidence_links": "javascript:alert(1)"})
        )
    evaluation.refresh_from_db()
    assert evaluation.evidence_links == ""


def test_kpi_actuals_can_be_corrected_in_the_draft(cast):
    IndicatorFactory(measure=cast.measure, baseline_value=0, target_value=100)
    evaluation = _evaluation(_open(cast), cast.measure)
    figure = evaluation.kpis.get()
    services.save_draft(evaluation=evaluation, user=cast.alice, kpi_actuals={figure.pk: Decimal("72")}, **FILLED)
    figure.refresh_from_db()
    assert figure.actual_value == 72 and figure.history.count() == 2


def test_round_progress_counts_each_department_in_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    for n in range(3):
        MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code=f"S{n}")
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    with django_assert_max_num_queries(3):
        progress = selectors.round_progress(cast.plan)
        rows = {r.department.code: (r.total, r.draft, r.submitted, r.accepted) for r in progress.departments}
    assert rows == {"JOHO": (1, 0, 1, 0), "SHIMIN": (3, 3, 0, 0)}
    assert (progress.total.total, progress.total.not_submitted) == (4, 3)
    assert selectors.round_progress(cast.other_plan) is None


def test_unsubmitted_evaluations_are_listed_per_department_for_the_digest(cast):
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S01")
    round_ = _open(cast)
    evaluation = _evaluation(round_, cast.measure)
    services.save_draft(evaluation=evaluation, user=cast.alice, **FILLED)
    services.submit(evaluation=evaluation, user=cast.alice)
    pending = selectors.unsubmitted_by_department()
    assert list(pending) == [cast.shimin.pk] and [e.measure.code for e in pending[cast.shimin.pk]] == ["S01"]


# --- pages ---------------------------------------------------------------------------------------


def test_a_post_after_approval_gets_a_409_page_in_japanese(client, cast):
    round_, evaluation = _approved_round(cast)
    client.force_login(cast.alice)
    response = client.post(reverse("evaluations:edit", args=[evaluation.pk]), FILLED | {"achievements": "後から"})
    assert response.status_code == 409 and "確定しているため、変更できません" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.achievements == FILLED["achievements"]


def test_the_form_explains_a_bad_cost_and_writes_nothing(client, cast):
    evaluation = _evaluation(_open(cast), cast.measure)
    client.force_login(cast.alice)
    response = client.post(
        reverse("evaluations:edit", args=[evaluation.pk]), FILLED | {"settled_cost_thousand_yen": "千二百", "save": "1"}
    )
    assert response.status_code == 200
    assert "事業費（決算）は0以上の整数（千円）で入力してください。" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.achievements == ""


def test_the_form_reads_full_width_money_with_separators(client, cast):
    evaluation = _evaluation(_open(cast), cast.measure)
    client.force_login(cast.alice)
    response = client.post(
        reverse("evaluations:edit", args=[evaluation.pk]),
        FILLED | {"settled_cost_thousand_yen": "１，２００", "submit": "1"},
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.settled_cost_thousand_yen, evaluation.state) == (1200, "submitted")


def test_another_departments_staff_cannot_post_an_evaluation(client, cast):
    evaluation = _evaluation(_open(cast), cast.measure)
    client.force_login(cast.bob)
    response = client.post(reverse("evaluations:edit", args=[evaluation.pk]), FILLED)
    assert response.status_code == 403 and "権限がありません" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.achievements == ""


def test_opening_a_year_outside_the_plan_on_the_page_says_why(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse("evaluations:index"), {"fiscal_year": "令和20年度", "grade_scale": "A,B,C,D"})
    assert response.status_code == 200 and "計画期間" in response.content.decode()
    assert not EvaluationRound.objects.exists()


def test_the_report_is_refused_before_approval(client, cast):
    round_ = _open(cast)
    client.force_login(cast.admin)
    response = client.get(reverse("evaluations:report", args=[round_.pk]))
    assert response.status_code == 409 and "本部承認後" in response.content.decode()


def test_the_measure_page_shows_the_budget_as_money(client, cast):
    cast.measure.budget_thousand_yen = 480000
    cast.measure.save()
    client.force_login(cast.council)
    html = client.get(reverse("measures:detail", args=[cast.measure.pk])).content.decode()
    assert "480,000千円" in html and "4億8,000万円" in html and ">480000<" not in html
