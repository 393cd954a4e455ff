"""factory_boy factories for the domain. Codes are sequences, 団体コード get valid check digits."""

from __future__ import annotations

import datetime as dt
import importlib

import factory
from django.contrib.auth.models import Group, User

from measures.models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from milestones.models import Milestone
from plans.models import Department, FrameworkEdition, Membership, Municipality, NationalItem, Plan
from plans.validators import municipality_check_digit


def _municipality_code(n: int) -> str:
    five = f"{n % 47 + 1:02d}{500 + n // 47:03d}"
    return five + str(municipality_check_digit(five))


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    code = factory.Sequence(_municipality_code)
    name = factory.Sequence(lambda n: f"テスト{n}市")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"テスト{n}課")
    email = factory.LazyAttribute(lambda d: f"{d.code.lower()}@example.jp")


def ensure_national_framework() -> None:
    """Migration 0002 loads the framework; a transactional test's flush removes it. Put it back (idempotent)."""
    if not FrameworkEdition.objects.filter(is_default=True).exists():
        from django.apps import apps

        importlib.import_module("plans.migrations.0002_national_framework").load(apps, None)


def default_edition() -> FrameworkEdition:
    ensure_national_framework()
    return FrameworkEdition.objects.get(is_default=True)


def national_item(number: int) -> NationalItem:
    ensure_national_framework()
    return NationalItem.objects.get(edition__is_default=True, number=number)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"plan-{n}")
    title = factory.Sequence(lambda n: f"テストDX推進計画{n}")
    vision = "市民の手間をなくす市役所"
    start_fy = 2023
    end_fy = 2027
    edition = factory.LazyFunction(default_edition)
    status = Plan.Status.APPROVED


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: f"M{n:04d}")
    title = factory.Sequence(lambda n: f"施策{n}")
    owner_department = factory.SubFactory(DepartmentFactory, municipality=factory.SelfAttribute("..plan.municipality"))
    start_fy = 2023
    end_fy = 2027

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        """items=[1, 3] links national items by number (default: item 1)."""
        if create:
            self.national_items.set([national_item(n) for n in (extracted or [1])])


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    measure = factory.SubFactory(MeasureFactory)
    code = factory.Sequence(lambda n: f"MS{n:05d}")
    title = factory.Sequence(lambda n: f"マイルストーン{n}")
    due_date = dt.date(2026, 3, 31)
    status = WorkStatus.NOT_STARTED
    completed_on = factory.LazyAttribute(lambda m: m.due_date if m.status == WorkStatus.DONE else None)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    measure = factory.SubFactory(MeasureFactory)
    code = factory.Sequence(lambda n: f"K{n:04d}")
    name = factory.Sequence(lambda n: f"指標{n}")
    unit = "%"
    baseline_value = 0
    baseline_date = dt.date(2023, 4, 1)
    target_value = 100
    target_fy = 2027


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    value = 50
    as_of = dt.date(2025, 3, 31)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    measure = factory.SubFactory(MeasureFactory)
    status = WorkStatus.IN_PROGRESS
    percent_done = 50
    comment = "順調に進んでいます"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.jp")
    password = factory.django.Password("correct-horse-battery")


def make_user(
    username: str, role: str | None, municipality: Municipality | None, departments: list[Department] = (), **membership
) -> User:
    """A user with a role Group and a Membership (role None: logged in but no role)."""
    user = UserFactory(username=username, is_staff=role == "admin")
    if role:
        user.groups.add(Group.objects.get(name=role))
    if municipality is not None:
        m = Membership.objects.create(user=user, municipality=municipality, display_name=username, **membership)
        m.departments.set(departments)
    return user
