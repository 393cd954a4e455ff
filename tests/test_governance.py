"""推進体制, meetings and their agenda, decisions whose actions are milestones, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance import selectors, services
from governance.models import Action, AgendaItem, BodyMember, BodyRole, Decision, Meeting
from measures.models import Measure, ProgressUpdate, WorkStatus
from milestones.models import Milestone
from milestones.reminders import run_reminders
from work.selectors import work_list

from .factories import IndicatorFactory, IndicatorValueFactory, MeasureFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

MEETING_DAY = dt.date(2026, 11, 20)  # a Friday


@pytest.fixture
def city(cast):
    """The cast's plan with one exception of each kind, as of MEETING_DAY."""
    late = MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="M02", title="窓口の予約システム")
    MilestoneFactory(measure=late, code="M02-1", title="予約システムの調達", due_date=dt.date(2026, 10, 1))
    ProgressUpdate.objects.create(measure=late, status=WorkStatus.IN_PROGRESS, percent_done=20)
    kpi = IndicatorFactory(measure=late, code="K02", name="オンライン予約率", baseline_value=0, target_value=100)
    IndicatorValueFactory(indicator=kpi, value=10, as_of=dt.date(2026, 9, 30))  # 10 % of the way: grade D
    Measure.objects.filter(pk=cast.measure.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    cast.late, cast.kpi = late, kpi
    cast.meeting = Meeting.objects.create(municipality=cast.city, plan=cast.plan, number=5, held_on=MEETING_DAY)
    return cast


def _keys(meeting):
    return {p.key: p for p in selectors.agenda_proposals(meeting=meeting)}


def test_the_builder_proposes_each_kind_of_exception_with_its_facts(city, settings):
    settings.REMINDER_STALE_DAYS = 30
    proposals = _keys(city.meeting)
    late = proposals[f"late:{city.late.pk}"]
    assert late.source == AgendaItem.Source.LATE_MEASURE
    assert "期限超過のマイルストーン 1件" in late.facts and "市民課" in late.facts
    d = proposals[f"kpi:{city.kpi.pk}"]
    assert "達成度 10%" in d.facts
    assert f"stale:{city.measure.pk}" in proposals  # M01: no report at all, created 400 days ago
    assert f"stale:{city.late.pk}" not in proposals  # M02 reported today
    national = proposals[f"national:{city.milestone.pk}"]  # due 2026/03/31, item 3's deadline 2023/03/31
    assert "国の期限 2023/03/31" in national.facts
    assert f"late:{city.measure.pk}" in proposals  # M01-1 is overdue on the meeting day too


def test_the_builder_reads_the_plan_in_a_fixed_number_of_queries(city, django_assert_max_num_queries):
    for n in range(5):
        m = MeasureFactory(plan=city.plan, owner_department=city.joho, code=f"X{n}")
        MilestoneFactory(measure=m, code=f"X{n}-1", due_date=dt.date(2026, 1, 1))
    # 13: the dashboard's measure rows read the milestone counts in their own GROUP BY over the plan's milestones
    with django_assert_max_num_queries(13):
        proposals = selectors.agenda_proposals(meeting=city.meeting)
    assert sum(p.key.startswith("late:") for p in proposals) == 7


def test_the_builder_is_a_list_of_proposers_one_can_extend(city, monkeypatch):
    def propose_something(ctx):
        return [selectors.Proposal(source=AgendaItem.Source.MANUAL, key="extra:1", title="追加の提案", facts="")]

    monkeypatch.setattr(selectors, "PROPOSERS", [*selectors.PROPOSERS, propose_something])
    assert "extra:1" in _keys(city.meeting)


def test_accepting_proposals_puts_them_on_the_agenda_once(city):
    keys = [f"late:{city.late.pk}", f"kpi:{city.kpi.pk}", f"national:{city.milestone.pk}"]
    items = services.agenda_accept(user=city.admin, meeting=city.meeting, keys=keys)
    assert [i.order for i in items] == [1, 2, 3]
    assert {i.source_key for i in items} == set(keys)
    assert items[0].facts  # the situation as of the meeting date is kept with the item
    assert not set(keys) & set(_keys(city.meeting))  # no longer proposed
    with pytest.raises(ValidationError, match="すでに議題にあるか"):
        services.agenda_accept(user=city.admin, meeting=city.meeting, keys=[keys[0], f"stale:{city.measure.pk}"])
    assert city.meeting.agenda_items.count() == 3  # nothing of the refused choice was written


def test_a_decision_creates_a_milestone_for_the_owner_department(city):
    item = services.agenda_accept(user=city.admin, meeting=city.meeting, keys=[f"late:{city.late.pk}"])[0]
    decision = services.decision_record(
        user=city.admin,
        meeting=city.meeting,
        agenda_item=item,
        text="調達方針を見直す",
        actions=[
            services.ActionSpec(title="調達仕様書の改訂", owner_department=city.shimin, due_date=dt.date(2026, 12, 1))
        ],
    )
    ms = decision.actions.get().milestone
    assert (ms.owner_department, ms.due_date, ms.status) == (city.shimin, dt.date(2026, 12, 1), "not_started")
    assert ms.measure == city.late  # no measure given: the agenda item's
    assert ms.history.first().history_user == city.admin  # in the history, by whom
    mine = work_list(user=city.bob, today=MEETING_DAY)
    assert ms.pk in {row.milestone.pk for row in mine.milestones}  # 市民課 staff see it on /work/
    assert ms.pk not in {row.milestone.pk for row in work_list(user=city.alice, today=MEETING_DAY).milestones}
    # and may report on it through the ordinary milestone form
    client = Client()
    client.force_login(city.bob)
    response = client.post(
        reverse("milestones:update", kwargs={"pk": ms.pk}),
        {"status": "in_progress", "completed_on": "", "comment": "着手", "version": ms.version},
    )
    assert response.status_code == 302
    assert Milestone.objects.get(pk=ms.pk).status == "in_progress"


def test_an_action_with_neither_measure_nor_agenda_item_goes_under_the_decisions_measure(city):
    BodyMember.objects.create(municipality=city.city, role=BodyRole.SECRETARIAT, name="事務局", department=city.joho)
    decision = services.decision_record(
        user=city.admin,
        meeting=city.meeting,
        text="研修を行う",
        actions=[services.ActionSpec(title="職員研修", owner_department=city.shimin, due_date=dt.date(2026, 12, 1))],
    )
    ms = decision.actions.get().milestone
    assert ms.measure.code == selectors.DECISIONS_MEASURE_CODE and ms.measure.title == "本部会議の決定事項"
    assert ms.measure.owner_department == city.joho and ms.owner_department == city.shimin  # 事務局 owns the measure


def test_an_action_with_a_measure_goes_under_that_measure(city):
    decision = services.decision_record(
        user=city.admin,
        meeting=city.meeting,
        text="予約を前倒し",
        actions=[
            services.ActionSpec(
                title="予約の前倒し", owner_department=city.shimin, due_date=dt.date(2026, 12, 1), measure=city.late
            )
        ],
    )
    assert decision.actions.get().milestone.measure == city.late
    assert not Measure.objects.filter(code=selectors.DECISIONS_MEASURE_CODE).exists()


def test_the_action_is_in_the_next_reminder_digest_of_its_department(city, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_STALE_DAYS = 0
    city.shimin.email = "shimin@example.jp"
    city.shimin.save()
    Milestone.objects.filter(measure=city.late).update(status=WorkStatus.CANCELLED)  # only the action is due
    services.decision_record(
        user=city.admin,
        meeting=city.meeting,
        text="調達方針を見直す",
        actions=[
            services.ActionSpec(
                title="調達仕様書の改訂", owner_department=city.shimin, due_date=MEETING_DAY + dt.timedelta(days=7)
            )
        ],
    )
    run_reminders(run_date=MEETING_DAY, inline=True)
    digests = [m for m in mail.outbox if "shimin@example.jp" in m.to]
    assert len(digests) == 1 and "調達仕様書の改訂" in digests[0].body


def test_the_next_agenda_starts_with_the_open_actions_of_earlier_meetings(city):
    services.decision_record(
        user=city.admin,
        meeting=city.meeting,
        text="調達方針を見直す",
        actions=[
            services.ActionSpec(title="調達仕様書の改訂", owner_department=city.shimin, due_date=dt.date(2026, 12, 1)),
            services.ActionSpec(title="済んだこと", owner_department=city.joho, due_date=dt.date(2026, 12, 1)),
        ],
    )
    done = Milestone.objects.get(title="済んだこと")
    done.status, done.completed_on = WorkStatus.DONE, MEETING_DAY
    done.save()
    following = Meeting.objects.create(municipality=city.city, plan=city.plan, number=6, held_on=dt.date(2027, 1, 15))
    proposals = selectors.agenda_proposals(meeting=following)
    assert proposals[0].source == AgendaItem.Source.OPEN_ACTION
    assert "調達仕様書の改訂" in proposals[0].title and "期限超過 45日" in proposals[0].facts
    assert not any("済んだこと" in p.title for p in proposals)
    assert not any(
        p.source == AgendaItem.Source.OPEN_ACTION for p in selectors.agenda_proposals(meeting=city.meeting)
    )  # a meeting does not carry its own actions over


# --- bad input: a clear Japanese message, nothing written -------------------------------------------------


@pytest.mark.parametrize(
    "owner, due, message",
    [
        (None, dt.date(2026, 12, 1), "担当部署を選んでください"),
        ("shimin", None, "期限を入力してください"),
        ("other", dt.date(2026, 12, 1), "同じ自治体の部署"),
    ],
)
def test_an_action_without_owner_or_due_date_writes_nothing(city, owner, due, message):
    department = {"shimin": city.shimin, "other": city.other_measure.owner_department, None: None}[owner]
    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            user=city.admin,
            meeting=city.meeting,
            text="決定",
            actions=[services.ActionSpec(title="対応", owner_department=department, due_date=due)],
        )
    assert any(message in m for m in exc.value.messages)
    assert not Decision.objects.exists() and not Action.objects.exists()
    assert not Milestone.objects.filter(code__startswith="HQ").exists()


def test_the_decision_form_shows_the_missing_owner_beside_the_form(city):
    client = Client()
    client.force_login(city.admin)
    url = reverse("governance:decision_new", kwargs={"pk": city.meeting.pk})
    response = client.post(
        url, {"text": "決定", "is_public": "on", "action1_title": "対応", "action1_due": "令和8年12月1日"}
    )
    assert response.status_code == 200
    assert "対応事項1: 担当部署を選んでください。" in response.content.decode()
    assert not Decision.objects.exists()


def test_a_meeting_of_another_municipality_is_refused(city):
    other = Meeting.objects.create(municipality=city.other_city, plan=city.other_plan, held_on=MEETING_DAY)
    with pytest.raises(PermissionDenied):
        services.decision_record(user=city.admin, meeting=other, text="決定")
    with pytest.raises(PermissionDenied):
        services.agenda_item_add(user=city.admin, meeting=other, title="議題")
    client = Client()
    client.force_login(city.admin)
    assert client.get(reverse("governance:meeting", kwargs={"pk": other.pk})).status_code == 404
    response = client.post(reverse("governance:decision_new", kwargs={"pk": other.pk}), {"text": "決定"})
    assert response.status_code == 404
    assert not Decision.objects.exists() and not AgendaItem.objects.exists()


def test_a_meeting_with_another_municipalitys_plan_is_refused(city):
    with pytest.raises(PermissionDenied):
        services.meeting_create(user=city.admin, plan=city.other_plan, kind="headquarters", held_on=MEETING_DAY)
    client = Client()
    client.force_login(city.admin)
    response = client.post(
        reverse("governance:meeting_new"), {"plan": city.other_plan.pk, "kind": "headquarters", "held_on": "2026/12/1"}
    )
    assert response.status_code == 200 and "正しく選択してください" in response.content.decode()
    assert Meeting.objects.count() == 1


def test_staff_council_and_viewers_cannot_write(city):
    for user in (city.alice, city.council, city.viewer):
        with pytest.raises(PermissionDenied):
            services.decision_record(user=user, meeting=city.meeting, text="決定")
        with pytest.raises(PermissionDenied):
            services.agenda_accept(user=user, meeting=city.meeting, keys=[f"late:{city.late.pk}"])
    assert not Decision.objects.exists() and not AgendaItem.objects.exists()


# --- reading: public and internal parts ----------------------------------------------------------------


def test_council_reads_the_public_parts_only(city):
    city.meeting.summary_public = "公開の要旨"
    city.meeting.summary_internal = "庁内だけの議論"
    city.meeting.save()
    services.decision_record(user=city.admin, meeting=city.meeting, text="公開する決定")
    services.decision_record(user=city.admin, meeting=city.meeting, text="人事に関わる決定", is_public=False)
    client = Client()
    client.force_login(city.council)
    for name in ("governance:meeting", "governance:meeting_print"):
        page = client.get(reverse(name, kwargs={"pk": city.meeting.pk})).content.decode()
        assert "公開の要旨" in page and "公開する決定" in page
        assert "庁内だけの議論" not in page and "人事に関わる決定" not in page
        assert "選んだ提案を議題に採用する" not in page
    client.force_login(city.alice)
    page = client.get(reverse("governance:meeting", kwargs={"pk": city.meeting.pk})).content.decode()
    assert "庁内だけの議論" in page and "人事に関わる決定" in page


def test_the_body_page_hides_names_from_council_unless_published(city):
    BodyMember.objects.create(
        municipality=city.city, role=BodyRole.CHIEF, name="桜井 太郎", position="市長", name_is_public=True
    )
    BodyMember.objects.create(municipality=city.city, role=BodyRole.CIO_ADVISER, name="外部 花子", is_external=True)
    BodyMember.objects.create(municipality=city.other_city, role=BodyRole.CHIEF, name="他市 市長")
    client = Client()
    client.force_login(city.council)
    page = client.get(reverse("governance:body")).content.decode()
    assert "桜井 太郎" in page and "外部 花子" not in page and "（非公開）" in page and "他市" not in page
    assert page.index("本部長") < page.index("CIO補佐官")
    client.force_login(city.alice)
    assert "外部 花子" in client.get(reverse("governance:body")).content.decode()


def test_meeting_material_xlsx_neutralises_formulas_and_keeps_internal_notes_internal(city):
    from io import BytesIO

    from openpyxl import load_workbook

    item = services.agenda_item_add(
        user=city.admin, meeting=city.meeting, title='=HYPERLINK("http://x")', note="内部メモ"
    )
    services.decision_record(
        user=city.admin,
        meeting=city.meeting,
        agenda_item=item,
        text="決定",
        actions=[services.ActionSpec(title="@SUM(1)", owner_department=city.shimin, due_date=dt.date(2026, 12, 1))],
    )
    client = Client()
    client.force_login(city.council)
    response = client.get(reverse("governance:meeting_xlsx", kwargs={"pk": city.meeting.pk}))
    wb = load_workbook(BytesIO(response.content))
    agenda = [[c.value for c in row] for row in wb.worksheets[0].iter_rows(min_row=3)]
    assert agenda[0][2] == '\'=HYPERLINK("http://x")' and "内部メモ" not in agenda[0]
    decisions = [[c.value for c in row] for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert decisions[0][3] == "'@SUM(1)" and decisions[0][4] == "市民課"


def test_the_demo_has_a_body_and_two_past_meetings_and_seeding_again_changes_nothing(db):
    from devdata.demo import seed_demo
    from tests.factories import ensure_national_framework

    ensure_national_framework()
    plan = seed_demo()
    seed_demo()
    meetings = list(Meeting.objects.filter(municipality=plan.municipality).order_by("held_on"))
    assert [m.number for m in meetings] == [1, 2]
    assert all(m.held_on < timezone.localdate() for m in meetings)
    assert BodyMember.objects.filter(municipality=plan.municipality, role=BodyRole.CHIEF).count() == 1
    assert Action.objects.filter(decision__meeting__in=meetings).count() == 3
    second_agenda = meetings[1].agenda_items.order_by("order")
    assert second_agenda[0].source == AgendaItem.Source.OPEN_ACTION  # the first meeting's open action leads
    open_for_shimin = Milestone.objects.filter(governance_action__isnull=False, owner_department__code="SHI-SHIMIN")
    assert open_for_shimin.get().is_overdue(timezone.localdate())


def test_the_body_is_public_in_public_mode_with_public_names_only(city, settings):
    BodyMember.objects.create(
        municipality=city.city, role=BodyRole.CHIEF, name="桜井 太郎", position="市長", name_is_public=True
    )
    BodyMember.objects.create(municipality=city.city, role=BodyRole.CIO_ADVISER, name="外部 花子")
    client = Client()
    assert client.get(reverse("governance:body"))["Location"].startswith(reverse("login"))
    settings.PUBLIC_DASHBOARD = True
    page = client.get(reverse("governance:body"), {"muni": city.city.code}).content.decode()
    assert "桜井 太郎" in page and "外部 花子" not in page and "CIO補佐官" in page
    assert client.get(reverse("governance:body"), {"muni": "999999"}).status_code == 404


def test_meeting_material_and_roster_read_in_a_fixed_number_of_queries(city, django_assert_max_num_queries):
    for n in range(3):
        BodyMember.objects.create(municipality=city.city, role=BodyRole.MEMBER, name=f"部長{n}", department=city.shimin)
    city.meeting.attendees.set(BodyMember.objects.all())
    keys = [p.key for p in selectors.agenda_proposals(meeting=city.meeting)]
    items = services.agenda_accept(user=city.admin, meeting=city.meeting, keys=keys)
    for item in items:
        services.decision_record(
            user=city.admin,
            meeting=city.meeting,
            agenda_item=item,
            text="決定",
            actions=[services.ActionSpec(title="対応", owner_department=city.shimin, due_date=dt.date(2026, 12, 1))]
            * 2,
        )
    with django_assert_max_num_queries(5):
        material = selectors.meeting_material(meeting_id=city.meeting.pk)
        rows = [(i.title, i.measure and i.measure.code) for i in material.agenda_items.all()]
        actions = [
            (a.milestone.title, a.milestone.owner_department.name, a.milestone.measure.code)
            for d in material.decisions.all()
            for a in d.actions.all()
        ]
        attendees = [(a.display_name, a.department and a.department.name) for a in material.attendees.all()]
    assert len(rows) == len(items) and len(actions) == 2 * len(items) and len(attendees) == 3
    with django_assert_max_num_queries(1):
        groups = selectors.body_roster(municipality_id=city.city.pk)
        names = [m.display_name for g in groups for m in g.members]
    assert names == ["部長0", "部長1", "部長2"]


def test_the_admin_shows_only_the_own_municipalitys_governance_records(city):
    other = Meeting.objects.create(municipality=city.other_city, plan=city.other_plan, number=99, held_on=MEETING_DAY)
    BodyMember.objects.create(municipality=city.other_city, role=BodyRole.CHIEF, name="他市 市長")
    BodyMember.objects.create(municipality=city.city, role=BodyRole.CHIEF, name="桜井 太郎")
    client = Client()
    client.force_login(city.admin)
    page = client.get(reverse("admin:governance_bodymember_changelist")).content.decode()
    assert "桜井 太郎" in page and "他市 市長" not in page
    meetings = client.get(reverse("admin:governance_meeting_changelist")).content.decode()
    assert f"/admin/governance/meeting/{city.meeting.pk}/change/" in meetings
    assert f"/admin/governance/meeting/{other.pk}/change/" not in meetings
    assert client.get(reverse("admin:governance_meeting_change", args=[other.pk])).status_code == 302  # not found
    form = client.get(reverse("admin:governance_meeting_change", args=[city.meeting.pk])).content.decode()
    assert city.plan.title in form and city.other_plan.title not in form


def test_the_builder_proposes_pending_due_date_requests_and_self_assessment_discrepancies(city):
    from milestones.models import DueDateChangeRequest

    request = DueDateChangeRequest.objects.create(
        milestone=city.milestone,
        previous_due_date=city.milestone.due_date,
        requested_due_date=dt.date(2027, 3, 31),
        reason="調達の遅れ",
        requested_by=city.alice,
    )
    before_meeting = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))
    DueDateChangeRequest.objects.filter(pk=request.pk).update(requested_at=before_meeting)
    proposals = _keys(city.meeting)
    asked = proposals[f"due_change:{request.pk}"]
    assert asked.source == AgendaItem.Source.DUE_CHANGE_REQUEST
    assert "2027/03/31" in asked.facts and "調達の遅れ" in asked.facts
    # M02 reports 進行中 while its milestone is overdue: the department's view and the schedule disagree.
    assert proposals[f"self_assessment:{city.late.pk}"].source == AgendaItem.Source.SELF_ASSESSMENT
    request.state = DueDateChangeRequest.State.REJECTED
    request.save()
    assert f"due_change:{request.pk}" not in _keys(city.meeting)
