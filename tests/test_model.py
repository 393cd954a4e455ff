import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from measures.models import IndicatorValue, ProgressUpdate, WorkStatus
from milestones.models import Milestone, ReminderLog
from plans.models import FrameworkEdition, ItemCrosswalk, NationalItem
from plans.validators import municipality_check_digit, validate_municipality_code

from .factories import (
    DepartmentFactory,
    IndicatorFactory,
    MeasureFactory,
    MilestoneFactory,
    MunicipalityFactory,
    PlanFactory,
    ProgressUpdateFactory,
)

pytestmark = pytest.mark.django_db


def test_migrations_load_the_eleven_items_of_edition_1_as_default():
    edition = FrameworkEdition.objects.get(is_default=True)
    assert edition.name == "第1.0版"
    items = list(NationalItem.objects.filter(edition=edition).order_by("number"))
    assert [i.number for i in items] == list(range(1, 12))
    assert items[0].name == "自治体の情報システムの標準化・共通化"
    assert items[7].name == "デジタルデバイド対策"
    assert [i.group for i in items].count("重点取組事項") == 6
    assert items[0].national_deadline.isoformat() == "2026-03-31"
    assert items[1].national_deadline.isoformat() == "2023-03-31"


def test_later_edition_has_seven_focus_items_and_a_crosswalk():
    later = FrameworkEdition.objects.get(code="v2.3")
    assert later.items.count() == 7
    assert set(later.items.values_list("group", flat=True)) == {"重点取組事項"}
    online = NationalItem.objects.get(edition__code="v1.0", number=3)
    targets = [c.to_item.name for c in ItemCrosswalk.objects.filter(from_item=online)]
    assert targets == ["自治体フロントヤード改革の推進"]
    assert ItemCrosswalk.objects.filter(from_item__edition__code="v1.0").count() == 7


@pytest.mark.parametrize("code", ["131016", "011002", "130001", "271004", "139998"])
def test_valid_municipality_codes_pass(code):
    validate_municipality_code(code)


@pytest.mark.parametrize(("code", "reason"), [
    ("131017", "check_digit"), ("011003", "check_digit"), ("13101", "format"), ("13101A", "format"),
    ("１３１０１６", "format"), ("481016", "prefecture"), ("001016", "prefecture"),
])
def test_invalid_municipality_codes_fail(code, reason):
    with pytest.raises(ValidationError) as exc:
        validate_municipality_code(code)
    assert exc.value.error_list[0].code == reason


def test_check_digit_remainders_zero_and_one():
    # remainder 0 → 11 → 1; remainder 1 → 10 → 0 (the ones digit)
    assert municipality_check_digit("11000") == (11 - (6 + 5) % 11) % 10 == 1
    assert municipality_check_digit("01200") == (11 - (5 + 8) % 11) % 10


def test_municipality_full_clean_reports_bad_check_digit():
    m = MunicipalityFactory.build(code="131017", name="千代田区")
    with pytest.raises(ValidationError, match="検査数字"):
        m.full_clean()


def test_measure_codes_are_unique_per_plan_not_globally():
    measure = MeasureFactory(code="M01")
    MeasureFactory(code="M01")  # another plan: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureFactory(plan=measure.plan, owner_department=measure.owner_department, code="M01")


def test_milestone_codes_are_unique_per_plan_across_measures():
    ms = MilestoneFactory(code="X-1")
    other_measure = MeasureFactory(plan=ms.plan, owner_department=ms.owner_department)
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneFactory(measure=other_measure, code="X-1")


def test_department_codes_are_unique_per_municipality():
    dept = DepartmentFactory(code="JOHO")
    DepartmentFactory(code="JOHO")
    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentFactory(municipality=dept.municipality, code="JOHO")


def test_plan_period_must_be_ordered():
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanFactory(start_fy=2027, end_fy=2025)


def test_done_milestone_needs_a_completion_date():
    ms = MilestoneFactory()
    ms.status = WorkStatus.DONE
    with pytest.raises(ValidationError, match="完了日"):
        ms.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=ms.pk).update(status=WorkStatus.DONE, completed_on=None)


def test_milestone_defaults_to_the_measures_department_and_plan():
    ms = MilestoneFactory()
    assert ms.owner_department_id == ms.measure.owner_department_id
    assert ms.plan_id == ms.measure.plan_id


def test_progress_updates_are_append_only():
    update = ProgressUpdateFactory()
    update.comment = "書き換え"
    with pytest.raises(ValidationError):
        update.save()
    with pytest.raises(ValidationError):
        update.delete()
    assert ProgressUpdate.objects.get(pk=update.pk).comment == "順調に進んでいます"


def test_only_one_current_indicator_value_per_date():
    indicator = IndicatorFactory()
    first = IndicatorValue.objects.create(indicator=indicator, value=10, as_of="2025-03-31")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=indicator, value=12, as_of="2025-03-31")
    first.is_current = False
    first.save()
    IndicatorValue.objects.create(indicator=indicator, value=12, as_of="2025-03-31", corrects=first)
    assert indicator.values.count() == 2


def test_reminder_claim_is_unique_per_milestone_stage_and_due_date():
    ms = MilestoneFactory()
    ReminderLog.objects.create(milestone=ms, department=ms.owner_department, stage="d7", due_date=ms.due_date,
                               run_date=ms.due_date)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderLog.objects.create(milestone=ms, department=ms.owner_department, stage="d7", due_date=ms.due_date,
                                   run_date=ms.due_date)


def test_history_records_who_changed_a_milestone():
    ms = MilestoneFactory(title="旧")
    ms.title = "新"
    ms.save()
    assert [h.title for h in ms.history.all()] == ["新", "旧"]
    assert ms.history.first().prev_record.title == "旧"
