"""Natural keys (codes unique per plan or municipality, which the import matches on) and plan periods."""

import pytest
from django.db import IntegrityError, transaction

from .factories import (
    DepartmentFactory,
    MeasureFactory,
    MilestoneFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db


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
