import pytest

from measures.models import IndicatorValue
from plans.permissions import can_change, can_compare_municipality, can_view, forget_access

from .factories import IndicatorFactory, MilestoneFactory, ProgressUpdateFactory

pytestmark = pytest.mark.django_db


ROLES = ["anonymous", "admin", "alice", "bob", "council", "viewer", "mallory"]

# Who may change an item of 情報政策課 (joho)? Only its own staff and the city's admin.
CHANGE_OWN_CITY = {
    "anonymous": False,
    "admin": True,
    "alice": True,
    "bob": False,
    "council": False,
    "viewer": False,
    "mallory": False,
}
VIEW_OWN_CITY = {
    "anonymous": False,
    "admin": True,
    "alice": True,
    "bob": True,
    "council": True,
    "viewer": True,
    "mallory": False,
}


def _user(cast, role):
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser() if role == "anonymous" else getattr(cast, role)


@pytest.mark.parametrize("role", ROLES)
def test_measure_change_and_view_by_role(cast, role):
    user = _user(cast, role)
    assert can_change(user, cast.measure) is CHANGE_OWN_CITY[role]
    assert can_view(user, cast.measure) is VIEW_OWN_CITY[role]


@pytest.mark.parametrize("role", ROLES)
def test_milestone_kpi_value_and_progress_follow_the_measures_department(cast, role):
    user = _user(cast, role)
    indicator = IndicatorFactory(measure=cast.measure)
    value = IndicatorValue.objects.create(indicator=indicator, value=1, as_of="2025-03-31")
    update = ProgressUpdateFactory(measure=cast.measure)
    for obj in (cast.milestone, indicator, value, update):
        assert can_change(user, obj) is CHANGE_OWN_CITY[role], obj


def test_staff_may_change_a_milestone_their_department_owns_inside_anothers_measure(cast):
    delegated = MilestoneFactory(measure=cast.measure, owner_department=cast.shimin)
    assert can_change(cast.bob, delegated)  # 市民課 owns this milestone
    assert can_change(cast.alice, delegated)  # 情報政策課 owns the measure
    assert not can_change(cast.bob, cast.milestone)


def test_nobody_but_admin_changes_the_plan(cast):
    assert can_change(cast.admin, cast.plan)
    for user in (cast.alice, cast.bob, cast.council, cast.viewer):
        assert not can_change(user, cast.plan)


def test_admin_of_one_city_cannot_touch_another(cast):
    assert not can_change(cast.admin, cast.other_measure)
    assert not can_view(cast.admin, cast.other_measure)


def test_superuser_changes_anything(cast, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.jp", "x-long-password")
    assert can_change(root, cast.other_measure) and can_change(root, cast.plan)


def test_comparison_scope(cast):
    assert can_compare_municipality(cast.council, cast.city)
    assert not can_compare_municipality(cast.council, cast.other_city)
    cast.viewer.membership.compare_scope = "01"  # Hokkaido
    cast.viewer.membership.save()
    forget_access(cast.viewer)
    assert can_compare_municipality(cast.viewer, cast.other_city)  # 011002 札幌市
    cast.viewer.membership.compare_scope = "national"
    cast.viewer.membership.save()
    forget_access(cast.viewer)
    assert can_compare_municipality(cast.viewer, cast.other_city)


def test_role_groups_exist_with_their_permissions(db):
    from django.contrib.auth.models import Group

    groups = {g.name: g for g in Group.objects.all()}
    assert {"admin", "staff", "council", "viewer"} <= set(groups)
    council_perms = set(groups["council"].permissions.values_list("codename", flat=True))
    assert "view_measure" in council_perms
    assert not any(p.startswith(("add_", "change_", "delete_")) for p in council_perms)
    staff_perms = set(groups["staff"].permissions.values_list("codename", flat=True))
    assert {"change_milestone", "add_progressupdate", "add_indicatorvalue"} <= staff_perms
    assert "change_plan" not in staff_perms
