"""The cast, as in healthchecks' BaseTestCase: one city with two departments and a user per role,
plus a second city whose staff must never see or touch the first one's data."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from plans.models import Department, Municipality, Plan

from .factories import (
    DepartmentFactory,
    MeasureFactory,
    MilestoneFactory,
    MunicipalityFactory,
    PlanFactory,
    ensure_national_framework,
    make_user,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast has six users; PBKDF2 at production strength would make every test seconds slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Cast:
    city: Municipality
    other_city: Municipality
    joho: Department  # 情報政策課: owns `measure`
    shimin: Department  # 市民課: another department of the same city
    plan: Plan
    other_plan: Plan
    measure: object
    milestone: object
    other_measure: object
    admin: object
    alice: object  # staff of joho (the owner)
    bob: object  # staff of shimin (same city, another department)
    council: object
    viewer: object
    mallory: object  # staff of the other city
    anonymous: None = None


@pytest.fixture
def cast(db) -> Cast:
    ensure_national_framework()
    city = MunicipalityFactory(code="139998", name="さくら台市")
    other_city = MunicipalityFactory(code="011002", name="札幌市")
    joho = DepartmentFactory(municipality=city, code="JOHO", name="情報政策課")
    shimin = DepartmentFactory(municipality=city, code="SHIMIN", name="市民課")
    other_dept = DepartmentFactory(municipality=other_city, code="JOHO", name="デジタル戦略課")
    plan = PlanFactory(municipality=city, code="dx")
    other_plan = PlanFactory(municipality=other_city, code="dx")
    measure = MeasureFactory(plan=plan, owner_department=joho, code="M01", items=[1, 3])
    milestone = MilestoneFactory(measure=measure, code="M01-1")
    other_measure = MeasureFactory(plan=other_plan, owner_department=other_dept, code="M01")
    return Cast(
        city=city,
        other_city=other_city,
        joho=joho,
        shimin=shimin,
        plan=plan,
        other_plan=other_plan,
        measure=measure,
        milestone=milestone,
        other_measure=other_measure,
        admin=make_user("admin1", "admin", city, [joho]),
        alice=make_user("alice", "staff", city, [joho]),
        bob=make_user("bob", "staff", city, [shimin]),
        council=make_user("council1", "council", city),
        viewer=make_user("viewer1", "viewer", city),
        mallory=make_user("mallory", "staff", other_city, [other_dept]),
    )
