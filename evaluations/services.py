"""Writes of the annual evaluation: open a round, draft, submit, send back, accept, approve, publish.

Every service checks who may do it and in which state, and raises
- PermissionDenied (403) when the user may not act on the object,
- StateConflict (409) when the object's state forbids it (e.g. anything after the 本部 approved the round),
- ValidationError for bad input (nothing is written).
Roles: a department's staff draft and submit the evaluations of the measures it owns; the 事務局 (admin role) opens
the round and reviews; the 本部 approval is the admin role's (or a superuser's) explicit approve action.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.fiscal import fiscal_year_bounds, format_fiscal_year
from measures.models import Indicator, IndicatorValue, Measure
from plans.models import Plan
from plans.permissions import access_for, can_change

from .models import DEFAULT_GRADE_SCALE, EvaluationIndicator, EvaluationRound, MeasureEvaluation

State = MeasureEvaluation.State
RoundState = EvaluationRound.State


class StateConflict(Exception):
    """The object is not in a state that allows this action (shown as a 409 page with the message)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- who may do what -----------------------------------------------------------------------------


def is_secretariat(user: User, plan: Plan) -> bool:
    """The 事務局 (admin role) of the plan's municipality, or a superuser. The 本部 acts through the same role."""
    access = access_for(user)
    if access.is_superuser:
        return True
    return access.is_admin and access.municipality_id == plan.municipality_id


def may_edit(user: User, evaluation: MeasureEvaluation) -> bool:
    """The owner department's staff and the 事務局 (permission only; the state is checked separately)."""
    return can_change(user, evaluation.measure)


def _require_secretariat(user: User, plan: Plan, message: str) -> None:
    if not is_secretariat(user, plan):
        raise PermissionDenied(message)


def _require_editor(user: User, evaluation: MeasureEvaluation) -> None:
    if not may_edit(user, evaluation):
        raise PermissionDenied(
            _("この施策（%(measure)s）の年度評価を編集する権限がありません。担当部署（%(dept)s）の職員が入力します。")
            % {"measure": evaluation.measure.code, "dept": evaluation.measure.owner_department.name}
        )


def require_editable(evaluation: MeasureEvaluation) -> None:
    if evaluation.round.state != RoundState.OPEN:
        raise StateConflict(
            _("%(fy)sの年度評価は本部承認により確定しているため、変更できません。")
            % {"fy": evaluation.round.fiscal_year_label}
        )
    if evaluation.state not in MeasureEvaluation.EDITABLE_STATES:
        raise StateConflict(
            _("この評価は「%(state)s」のため編集できません（編集できるのは作成中または差戻しの評価です）。")
            % {"state": evaluation.get_state_display()}
        )


def _locked(evaluation: MeasureEvaluation) -> MeasureEvaluation:
    """Re-read the evaluation under a row lock so two reviewers (or a reviewer and a late submit) cannot both win."""
    return (
        MeasureEvaluation.objects.select_for_update()
        .select_related("round__plan", "measure__owner_department")
        .get(pk=evaluation.pk)
    )


# --- the round -----------------------------------------------------------------------------------


def measures_evaluated_in(*, plan: Plan, fiscal_year: int):
    """The plan's measures whose period includes the fiscal year (an open-ended period counts)."""
    return (
        Measure.objects.filter(plan=plan)
        .filter(Q(start_fy__isnull=True) | Q(start_fy__lte=fiscal_year))
        .filter(Q(end_fy__isnull=True) | Q(end_fy__gte=fiscal_year))
    )


def parse_grade_scale(raw: str) -> str:
    grades = [g.strip() for g in raw.replace("、", ",").split(",") if g.strip()]
    if not 2 <= len(grades) <= 10 or len(set(grades)) != len(grades) or any(len(g) > 8 for g in grades):
        raise ValidationError(
            {
                "grade_scale": _(
                    "自己評価の段階は、2〜10個の異なる記号（各8文字以内）をカンマ区切りで入力してください（例: A,B,C,D）。"
                )
            }
        )
    return ",".join(grades)


def open_round(*, plan: Plan, fiscal_year: int, user: User, grade_scale: str = DEFAULT_GRADE_SCALE) -> EvaluationRound:
    """The 事務局 opens the evaluation of a fiscal year: one draft per measure active that year, its KPI figures
    pre-filled (基準値・目標値 from the KPI, 実績値 = the latest current value up to the end of the fiscal year)."""
    _require_secretariat(user, plan, _("年度評価を開始できるのはDX推進本部事務局（管理者）です。"))
    if not plan.start_fy <= fiscal_year <= plan.end_fy:
        raise ValidationError(
            {
                "fiscal_year": _("%(fy)sは計画期間（%(period)s）の外です。計画期間内の年度を選んでください。")
                % {"fy": format_fiscal_year(fiscal_year), "period": plan.period_label}
            }
        )
    scale = parse_grade_scale(grade_scale)
    fy_end = fiscal_year_bounds(fiscal_year)[1]
    try:
        with transaction.atomic():
            round_ = EvaluationRound(plan=plan, fiscal_year=fiscal_year, grade_scale=scale, opened_by=user)
            round_.full_clean(validate_constraints=False)
            round_._history_user = user
            round_.save()
            measures = list(measures_evaluated_in(plan=plan, fiscal_year=fiscal_year))
            evaluations = bulk_create_with_history(
                [MeasureEvaluation(round=round_, measure=m) for m in measures], MeasureEvaluation, default_user=user
            )
            if not evaluations or evaluations[0].pk is None:  # backends that do not return ids
                evaluations = list(round_.evaluations.all())
            by_measure = {e.measure_id: e for e in evaluations}
            indicators = Indicator.objects.filter(measure__in=measures)
            latest: dict[int, Decimal] = {}
            for value in IndicatorValue.objects.filter(
                indicator__in=indicators, is_current=True, as_of__lte=fy_end
            ).order_by("indicator_id", "as_of", "recorded_at"):
                latest[value.indicator_id] = value.value  # ordered: the last one wins
            bulk_create_with_history(
                [
                    EvaluationIndicator(
                        evaluation=by_measure[ind.measure_id],
                        indicator=ind,
                        baseline_value=ind.baseline_value,
                        target_value=ind.target_value,
                        actual_value=latest.get(ind.pk),
                    )
                    for ind in indicators
                ],
                EvaluationIndicator,
                default_user=user,
            )
    except IntegrityError:
        raise ValidationError(
            {"fiscal_year": _("%(fy)sの年度評価はすでに開始されています。") % {"fy": format_fiscal_year(fiscal_year)}}
        )
    return round_


def approve_round(*, round: EvaluationRound, user: User) -> EvaluationRound:
    """The 本部 approves: every evaluation must have been accepted; afterwards nothing is editable."""
    _require_secretariat(user, round.plan, _("年度評価を承認できるのはDX推進本部（管理者）です。"))
    with transaction.atomic():
        locked = EvaluationRound.objects.select_for_update().get(pk=round.pk)
        if locked.state != RoundState.OPEN:
            raise StateConflict(_("この年度評価はすでに「%(state)s」です。") % {"state": locked.get_state_display()})
        pending = locked.evaluations.exclude(state=State.ACCEPTED).count()
        if pending:
            raise StateConflict(
                _("受理されていない評価が%(n)d件あります。すべての評価を受理してから承認してください。")
                % {"n": pending}
            )
        locked.state = RoundState.APPROVED
        locked.approved_at = timezone.now()
        locked.approved_by = user
        locked._history_user = user
        locked.save()
    return locked


def publish_round(*, round: EvaluationRound, user: User) -> EvaluationRound:
    """Publish an approved round: the 進捗状況報告書 appears in the open-data API."""
    _require_secretariat(user, round.plan, _("年度評価を公表できるのはDX推進本部事務局（管理者）です。"))
    with transaction.atomic():
        locked = EvaluationRound.objects.select_for_update().get(pk=round.pk)
        if locked.state != RoundState.APPROVED:
            raise StateConflict(
                _("公表できるのは本部承認済みの年度評価です（現在: %(state)s）。")
                % {"state": locked.get_state_display()}
            )
        locked.state = RoundState.PUBLISHED
        locked.published_at = timezone.now()
        locked._history_user = user
        locked.save()
    return locked


# --- one evaluation ------------------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])


def _clean_links(raw: str) -> str:
    lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    for line in lines:
        try:
            _url(line)
        except ValidationError:
            raise ValidationError(
                {
                    "evidence_links": _(
                        "「%(value)s」はURLとして読めません。http:// または https:// で始まるURLを1行に1つずつ入力してください。"
                    )
                    % {"value": line[:80]}
                }
            )
    return "\n".join(lines)


def save_draft(
    *,
    evaluation: MeasureEvaluation,
    user: User,
    achievements: str = "",
    self_grade: str = "",
    outcomes: str = "",
    issues: str = "",
    direction: str = "",
    settled_cost_thousand_yen: int | None = None,
    hours_saved_per_year: Decimal | None = None,
    evidence_links: str = "",
    kpi_actuals: dict[int, Decimal | None] | None = None,
) -> MeasureEvaluation:
    """Save the department's draft (作成中 or 差戻し). kpi_actuals maps EvaluationIndicator ids to 実績値."""
    _require_editor(user, evaluation)
    errors: dict[str, list[str]] = {}
    if settled_cost_thousand_yen is not None and (
        isinstance(settled_cost_thousand_yen, bool)
        or not isinstance(settled_cost_thousand_yen, int)
        or settled_cost_thousand_yen < 0
    ):
        errors["settled_cost_thousand_yen"] = [_("事業費（決算）は0以上の整数（千円）で入力してください。")]
    if hours_saved_per_year is not None and (
        not isinstance(hours_saved_per_year, (int, Decimal)) or hours_saved_per_year < 0
    ):
        errors["hours_saved_per_year"] = [_("削減された業務時間は0以上の数値（時間/年）で入力してください。")]
    if self_grade and self_grade not in evaluation.round.grades:
        errors["self_grade"] = [
            _("自己評価は %(grades)s のいずれかを選んでください。") % {"grades": "・".join(evaluation.round.grades)}
        ]
    if errors:
        raise ValidationError(errors)
    links = _clean_links(evidence_links)
    with transaction.atomic():
        current = _locked(evaluation)
        require_editable(current)
        current.achievements = achievements.strip()
        current.self_grade = self_grade
        current.outcomes = outcomes.strip()
        current.issues = issues.strip()
        current.direction = direction
        current.settled_cost_thousand_yen = settled_cost_thousand_yen
        current.hours_saved_per_year = hours_saved_per_year
        current.evidence_links = links
        current.full_clean(exclude=["round", "measure"], validate_constraints=False)
        current._history_user = user
        current.save()
        if kpi_actuals:
            figures = {f.pk: f for f in current.kpis.all()}
            for figure_id, value in kpi_actuals.items():
                figure = figures.get(figure_id)
                if figure is None:
                    raise ValidationError(_("この評価に含まれない指標が指定されました。画面を開き直してください。"))
                if figure.actual_value != value:
                    figure.actual_value = value
                    figure.full_clean(exclude=["evaluation", "indicator"], validate_constraints=False)
                    figure._history_user = user
                    figure.save()
    evaluation.refresh_from_db()
    return current


def submit(*, evaluation: MeasureEvaluation, user: User) -> MeasureEvaluation:
    """Hand the evaluation to the 事務局. 取組実績, 自己評価 and 今後の方向性 are required."""
    _require_editor(user, evaluation)
    with transaction.atomic():
        current = _locked(evaluation)
        require_editable(current)
        missing = {}
        if not current.achievements:
            missing["achievements"] = [_("提出するには取組実績を入力してください。")]
        if not current.self_grade:
            missing["self_grade"] = [_("提出するには自己評価を選んでください。")]
        if not current.direction:
            missing["direction"] = [_("提出するには今後の方向性を選んでください。")]
        if missing:
            raise ValidationError(missing)
        current.state = State.SUBMITTED
        current.submitted_at = timezone.now()
        current.submitted_by = user
        current._history_user = user
        current.save()
    return current


def _review(evaluation: MeasureEvaluation, user: User) -> MeasureEvaluation:
    _require_secretariat(
        user, evaluation.round.plan, _("評価を確認（受理・差戻し）できるのはDX推進本部事務局（管理者）です。")
    )
    current = _locked(evaluation)
    if current.round.state != RoundState.OPEN:
        raise StateConflict(
            _("%(fy)sの年度評価は本部承認により確定しているため、変更できません。")
            % {"fy": current.round.fiscal_year_label}
        )
    if current.state != State.SUBMITTED:
        raise StateConflict(
            _("確認できるのは提出済みの評価です（現在: %(state)s）。") % {"state": current.get_state_display()}
        )
    return current


def return_evaluation(*, evaluation: MeasureEvaluation, user: User, comment: str) -> MeasureEvaluation:
    """差戻し: back to the department with a comment saying what to change."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("差戻しの理由を入力してください。")})
    with transaction.atomic():
        current = _review(evaluation, user)
        current.state = State.RETURNED
        current.return_comment = comment
        current.reviewed_at = timezone.now()
        current.reviewed_by = user
        current._history_user = user
        current.save()
    return current


def accept(*, evaluation: MeasureEvaluation, user: User) -> MeasureEvaluation:
    with transaction.atomic():
        current = _review(evaluation, user)
        current.state = State.ACCEPTED
        current.reviewed_at = timezone.now()
        current.reviewed_by = user
        current._history_user = user
        current.save()
    return current
