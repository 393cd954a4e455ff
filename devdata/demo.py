"""The demo municipality (fictional さくら台市) used by the embedded default, the docs and the tests.

Due dates are relative to the day the seed runs, so the demo always has overdue, due-soon and future
milestones. Everything is matched by code, so running the seed twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from core.fiscal import fiscal_year
from evaluations import services as evaluation_services
from evaluations.models import EvaluationRound
from measures.models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from milestones.models import DueDateChangeRequest, Milestone
from plans.models import Department, FrameworkEdition, Membership, Municipality, NationalItem, Pillar, Plan
from plans.roles import Role
from plans.validators import municipality_check_digit

from .demo_history import seed_history

DEMO_PASSWORD = "dxportal-demo"  # local demo only; seed_demo refuses to run with DEBUG off
MUNICIPALITY_CODE = "139998"  # 13 (東京都) + 999, check digit 8: valid, and no real city has it
PLAN_CODE = "dx-plan"

# code, name, level, parent code, e-mail
DEPARTMENTS = [
    ("SOM", "総務部", "bu", None, ""),
    ("SOM-SOMU", "総務課", "ka", "SOM", "somu@sakuradai.example.jp"),
    ("SOM-JOHO", "情報政策課", "ka", "SOM", "joho@sakuradai.example.jp"),
    ("SOM-SHOKUIN", "職員課", "ka", "SOM", "shokuin@sakuradai.example.jp"),
    ("KIK", "企画部", "bu", None, ""),
    ("KIK-SEISAKU", "企画政策課", "ka", "KIK", "kikaku@sakuradai.example.jp"),
    ("SHI", "市民部", "bu", None, ""),
    ("SHI-SHIMIN", "市民課", "ka", "SHI", "shimin@sakuradai.example.jp"),
    ("SHI-HOKEN", "保険年金課", "ka", "SHI", "hoken@sakuradai.example.jp"),
    ("SHI-KAZEI", "課税課", "ka", "SHI", "kazei@sakuradai.example.jp"),
    ("FUK", "福祉部", "bu", None, ""),
    ("FUK-KOSODATE", "子育て支援課", "ka", "FUK", "kosodate@sakuradai.example.jp"),
    ("FUK-KOREI", "高齢福祉課", "ka", "FUK", "korei@sakuradai.example.jp"),
    ("SAN-SHINKO", "産業振興課", "ka", None, "sangyo@sakuradai.example.jp"),
    ("KYO-GAKUMU", "教育委員会 学務課", "ka", None, "gakumu@sakuradai.example.jp"),
]

PILLARS = [
    ("P1", "市民の利便性の向上（行かない・書かない・待たない窓口）"),
    ("P2", "業務の効率化と働き方改革"),
    ("P3", "安全なデジタル基盤とデジタル人材"),
    ("P4", "誰一人取り残さない地域社会のデジタル化"),
]


@dataclass
class DemoMilestone:
    suffix: str
    title: str
    due_in_days: int
    status: str
    kind: str = Milestone.Kind.INTERIM


@dataclass
class DemoMeasure:
    code: str
    title: str
    summary: str
    items: tuple[int, ...]
    department: str
    pillar: str
    milestones: tuple[DemoMilestone, ...]
    percent: int
    budget: int | None = None


DONE, PROG, LATE, NOT = WorkStatus.DONE, WorkStatus.IN_PROGRESS, WorkStatus.DELAYED, WorkStatus.NOT_STARTED
GOAL = Milestone.Kind.GOAL

MEASURES = [
    DemoMeasure(
        "M01",
        "基幹業務システムの標準化・共通化",
        "住民記録・税・福祉など20業務を標準準拠システムへ移行する。",
        (1,),
        "SOM-JOHO",
        "P3",
        (
            DemoMilestone("1", "現行システムの業務フロー・データの棚卸し", -420, DONE),
            DemoMilestone("2", "標準仕様とのFit&Gap分析", -240, DONE),
            DemoMilestone("3", "移行計画の策定とベンダー選定", -30, LATE),
            DemoMilestone("4", "住民記録システムの移行", 5, PROG),
            DemoMilestone("5", "全20業務の標準準拠システム稼働", 130, NOT, GOAL),
        ),
        55,
        480000,
    ),
    DemoMeasure(
        "M02",
        "マイナンバーカードの交付促進",
        "出張申請受付と休日交付窓口で交付率を高める。",
        (2,),
        "SHI-SHIMIN",
        "P1",
        (
            DemoMilestone("1", "出張申請受付を全地区で実施", -300, DONE),
            DemoMilestone("2", "休日交付窓口の開設", -120, DONE),
            DemoMilestone("3", "交付率90%達成", 60, PROG, GOAL),
        ),
        80,
        12000,
    ),
    DemoMeasure(
        "M03",
        "「書かない窓口」の導入",
        "転入・転出手続で申請書の記入を不要にする。",
        (3, 9),
        "SHI-SHIMIN",
        "P1",
        (
            DemoMilestone("1", "窓口業務の現状調査", -200, DONE),
            DemoMilestone("2", "窓口支援システムの試行", 20, NOT),
            DemoMilestone("3", "本庁舎の全窓口で運用開始", 300, NOT, GOAL),
        ),
        30,
        25000,
    ),
    DemoMeasure(
        "M04",
        "子育て・介護の手続のオンライン化",
        "マイナポータル（ぴったりサービス）から26手続を申請可能にする。",
        (3,),
        "FUK-KOSODATE",
        "P1",
        (
            DemoMilestone("1", "対象手続の洗い出しと様式の見直し", -150, DONE),
            DemoMilestone("2", "児童手当など子育て15手続のオンライン化", -10, LATE),
            DemoMilestone("3", "介護11手続のオンライン化", 90, NOT, GOAL),
        ),
        45,
    ),
    DemoMeasure(
        "M05",
        "AI-OCR・RPAによる定型業務の自動化",
        "税・福祉の入力業務をAI-OCRとRPAで自動化する。",
        (4,),
        "SOM-JOHO",
        "P2",
        (
            DemoMilestone("1", "自動化対象業務の選定", -180, DONE),
            DemoMilestone("2", "課税課で10業務の自動化", 7, PROG),
            DemoMilestone("3", "年間5,000時間の削減", 420, NOT, GOAL),
        ),
        40,
        8000,
    ),
    DemoMeasure(
        "M06",
        "テレワーク環境の整備",
        "LGWAN接続系からも利用できるテレワーク端末を配備する。",
        (5,),
        "SOM-SHOKUIN",
        "P2",
        (
            DemoMilestone("1", "テレワーク規程の制定", -250, DONE),
            DemoMilestone("2", "テレワーク端末200台の配備", -60, DONE),
            DemoMilestone("3", "全課でテレワークを試行", 150, PROG, GOAL),
        ),
        70,
    ),
    DemoMeasure(
        "M07",
        "情報セキュリティ対策の徹底",
        "セキュリティポリシーの改定と全職員研修、外部監査を行う。",
        (6,),
        "SOM-JOHO",
        "P3",
        (
            DemoMilestone("1", "情報セキュリティポリシーの改定", -90, DONE),
            DemoMilestone("2", "全職員向け標的型メール訓練", 1, PROG),
            DemoMilestone("3", "外部監査の実施", 200, NOT, GOAL),
        ),
        50,
    ),
    DemoMeasure(
        "M08",
        "地域のデジタル化（スマート農業・キャッシュレス）",
        "商店街のキャッシュレス決済と農業のデータ活用を支援する。",
        (7,),
        "SAN-SHINKO",
        "P4",
        (
            DemoMilestone("1", "商店街キャッシュレス導入補助の開始", -100, DONE),
            DemoMilestone("2", "スマート農業実証の開始", 45, NOT),
        ),
        35,
        15000,
    ),
    DemoMeasure(
        "M09",
        "スマートフォン教室（デジタルデバイド対策）",
        "高齢者向けスマホ教室を地域センターで定期開催する。",
        (8,),
        "FUK-KOREI",
        "P4",
        (
            DemoMilestone("1", "地域センター5か所で教室を開始", -80, DONE),
            DemoMilestone("2", "デジタル活用支援員の養成（20名）", 0, PROG),
            DemoMilestone("3", "受講者延べ1,000人", 260, NOT, GOAL),
        ),
        60,
        3000,
    ),
    DemoMeasure(
        "M10",
        "書面・押印・対面の見直し（BPR）",
        "押印廃止と業務プロセスの再設計を全庁で進める。",
        (9,),
        "SOM-SOMU",
        "P2",
        (
            DemoMilestone("1", "押印を求める手続の全件調査", -360, DONE),
            DemoMilestone("2", "規則改正による押印廃止", -45, LATE),
            DemoMilestone("3", "業務プロセス改善（BPR）10件", 180, NOT, GOAL),
        ),
        35,
    ),
    DemoMeasure(
        "M11",
        "オープンデータの公開",
        "推奨データセットを中心に市のデータを公開する。",
        (10,),
        "KIK-SEISAKU",
        "P4",
        (
            DemoMilestone("1", "推奨データセット8種の公開", -20, DONE),
            DemoMilestone("2", "オープンデータカタログサイトの開設", 28, NOT),
        ),
        50,
    ),
    DemoMeasure(
        "M12",
        "官民データ活用推進計画の策定",
        "市町村官民データ活用推進計画をDX推進計画と一体で策定する。",
        (11,),
        "KIK-SEISAKU",
        "P3",
        (
            DemoMilestone("1", "計画素案の作成", -60, DONE),
            DemoMilestone("2", "パブリックコメントの実施", 14, NOT),
            DemoMilestone("3", "計画の策定・公表", 75, NOT, GOAL),
        ),
        40,
    ),
    DemoMeasure(
        "M13",
        "GIGAスクール端末の更新と校務DX",
        "児童生徒端末の更新と校務支援システムのクラウド化を行う。",
        (7, 6),
        "KYO-GAKUMU",
        "P3",
        (
            DemoMilestone("1", "端末更新計画の策定", -15, DONE),
            DemoMilestone("2", "校務支援システムのクラウド移行", 400, NOT, GOAL),
        ),
        20,
        90000,
    ),
    DemoMeasure(
        "M14",
        "国民健康保険の手続のオンライン化",
        "資格取得・喪失の届出をオンライン化する。",
        (3,),
        "SHI-HOKEN",
        "P1",
        (
            DemoMilestone("1", "オンライン申請様式の作成", 10, NOT),
            DemoMilestone("2", "オンライン受付の開始", 120, NOT, GOAL),
        ),
        10,
    ),
    DemoMeasure(
        "M15",
        "DX推進体制とデジタル人材の育成",
        "DX推進本部の運営と各課DXリーダーの育成を行う。",
        (1, 4, 9),
        "SOM-JOHO",
        "P3",
        (
            DemoMilestone("1", "各課DXリーダーの任命", -330, DONE),
            DemoMilestone("2", "DXリーダー研修（年4回）", 40, PROG),
        ),
        65,
    ),
]

# measure code, indicator code, name, unit, direction, baseline, target, target FY offset, actuals (days ago, value)
INDICATORS = [
    (
        "M02",
        "K01",
        "マイナンバーカード交付率",
        "%",
        Indicator.Direction.HIGHER,
        "48.5",
        "90",
        1,
        [(700, "55.2"), (365, "71.8"), (30, "82.4")],
    ),
    (
        "M04",
        "K02",
        "オンライン化した手続数",
        "手続",
        Indicator.Direction.HIGHER,
        "0",
        "26",
        1,
        [(300, "4"), (120, "11"), (20, "15")],
    ),
    (
        "M05",
        "K03",
        "RPA等による削減時間（年間）",
        "時間",
        Indicator.Direction.HIGHER,
        "0",
        "5000",
        2,
        [(200, "600"), (40, "1450")],
    ),
    (
        "M10",
        "K04",
        "押印が必要な手続の数",
        "件",
        Indicator.Direction.LOWER,
        "1250",
        "50",
        0,
        [(300, "980"), (60, "410")],
    ),
    (
        "M09",
        "K05",
        "スマートフォン教室の受講者数（累計）",
        "人",
        Indicator.Direction.HIGHER,
        "0",
        "1000",
        1,
        [(80, "120"), (10, "390")],
    ),
    ("M11", "K06", "公開データセット数", "件", Indicator.Direction.HIGHER, "3", "40", 1, [(20, "21")]),
    ("M06", "K07", "テレワーク実施職員の割合", "%", Indicator.Direction.HIGHER, "2", "30", 1, [(60, "18")]),
]

# username, role, department codes, display name, compare scope
USERS = [
    ("admin", Role.ADMIN, ["SOM-JOHO"], "情報政策課 DX推進担当（管理者）", ""),
    ("staff", Role.STAFF, ["SOM-JOHO"], "情報政策課 職員", ""),
    ("staff2", Role.STAFF, ["SHI-SHIMIN"], "市民課 職員", ""),
    ("council", Role.COUNCIL, [], "議員（閲覧のみ）", ""),
    ("viewer", Role.VIEWER, [], "東京都 閲覧者（都内比較）", "13"),
]


# Neighbouring fictional 東京都 municipalities, so a prefecture viewer's first look at the comparison compares
# something: (first five digits of the 団体コード, name, kana, progress profile). The check digit is computed by
# the same rule the validator uses; 13990–13995 belong to no real municipality.
NEIGHBOURS = [
    ("13990", "みどり野市", "みどりのし", 0.75),
    ("13991", "あおば台市", "あおばだいし", 0.55),
    ("13992", "ひばりヶ丘町", "ひばりがおかまち", 0.35),
    ("13993", "かすみ川市", "かすみがわし", 0.65),
    ("13994", "しらかば村", "しらかばむら", 0.2),
    ("13995", "つばさ野市", "つばさのし", 0.5),
]
NEIGHBOUR_PLAN_CODE = "dx-suishin"
NEIGHBOUR_ITEM_TITLES = {
    1: "基幹業務システムの標準化",
    2: "マイナンバーカードの交付促進",
    3: "行政手続のオンライン化",
    4: "AI・RPAの導入",
    5: "テレワークの推進",
    6: "情報セキュリティ対策",
    7: "地域社会のデジタル化",
    8: "デジタルデバイド対策",
    9: "書面・押印・対面の見直し",
    10: "オープンデータの推進",
    11: "官民データ活用推進計画の策定",
}


def neighbour_code(first_five: str) -> str:
    return first_five + str(municipality_check_digit(first_five))


def _seed_neighbours(*, today: dt.date, edition: FrameworkEdition) -> None:
    """Plans for the neighbouring demo municipalities: one measure per national item (a few items left empty,
    as real plans leave them), four milestones each over the plan period, done / late / open by the town's
    profile. Matched by code: a second run changes nothing."""
    items = {i.number: i for i in NationalItem.objects.filter(edition=edition)}
    start_fy = fiscal_year(today) - 2
    for n, (five, name, kana, profile) in enumerate(NEIGHBOURS):
        municipality, _ = Municipality.objects.update_or_create(
            code=neighbour_code(five), defaults={"name": name, "name_kana": kana}
        )
        if Plan.objects.filter(municipality=municipality, code=NEIGHBOUR_PLAN_CODE).exists():
            continue
        dept, _ = Department.objects.update_or_create(
            municipality=municipality, code="DX", defaults={"name": "DX推進課", "level": "ka"}
        )
        plan = Plan.objects.create(
            municipality=municipality,
            code=NEIGHBOUR_PLAN_CODE,
            title=f"{name}DX推進計画",
            start_fy=start_fy,
            end_fy=start_fy + 4,
            edition=edition,
            status=Plan.Status.APPROVED,
        )
        for number, title in NEIGHBOUR_ITEM_TITLES.items():
            if (number + n) % 7 == 0:  # an item this town's plan leaves out
                continue
            measure = Measure.objects.create(
                plan=plan,
                code=f"N{number:02d}",
                title=title,
                owner_department=dept,
                start_fy=start_fy,
                end_fy=start_fy + 4,
                sort_order=number,
            )
            measure.national_items.set([items[number]])
            share = min(1.0, max(0.0, profile + ((number * 37 + n * 11) % 40 - 20) / 100))
            for k, days in enumerate((-500, -200, 40, 400)):
                due = today + dt.timedelta(days=days + number * 3)
                done = k < round(share * 4)
                status = DONE if done else (LATE if due < today else NOT)
                Milestone.objects.create(
                    plan=plan,
                    measure=measure,
                    code=f"N{number:02d}-{k + 1}",
                    title=f"{title}（段階{k + 1}）",
                    due_date=due,
                    status=status,
                    kind=GOAL if k == 3 else Milestone.Kind.INTERIM,
                    completed_on=due if done else None,
                    sort_order=k,
                )


# The value lens of each measure: 変革の段階, 対象, チャネル, GX, ウェルビーイング.
VALUE_LENS = {
    "M01": ("digitization", "internal", "", False, False),
    "M02": ("digitization", "residents", "counter", False, False),
    "M03": ("bpr", "residents", "counter", False, True),
    "M04": ("transformation", "residents", "both", False, True),
    "M05": ("bpr", "internal", "", True, False),
    "M06": ("bpr", "internal", "", True, True),
    "M07": ("digitization", "internal", "", False, False),
    "M08": ("transformation", "residents", "both", True, False),
    "M09": ("digitization", "residents", "counter", False, True),
    "M10": ("bpr", "internal", "", True, False),
    "M11": ("digitization", "residents", "online", False, False),
    "M13": ("transformation", "residents", "both", False, True),
    "M14": ("digitization", "residents", "online", False, False),
}

# Evaluations of the demo rounds: measure → (取組実績, 自己評価, 成果, 課題, 今後の方向性, 決算（千円）, 削減時間).
EVALUATIONS = {
    "M01": (
        "住民記録・税の2業務で標準準拠システムへの移行設計を完了した。",
        "C",
        "移行計画を確定した。",
        "ベンダーの対応遅れで移行計画が1か月遅延。",
        "continue",
        420000,
        0,
    ),
    "M02": (
        "出張申請受付を全12地区で実施し、休日交付窓口を月2回開設した。",
        "A",
        "交付率が目標の85%を上回った。",
        "未取得者の多くが高齢者。",
        "continue",
        11000,
        0,
    ),
    "M05": (
        "課税課の入力10業務をAI-OCRとRPAで自動化した。",
        "B",
        "年間1,800時間の入力作業を削減した。",
        "福祉部門への展開。",
        "expand",
        7600,
        1800,
    ),
    "M06": (
        "テレワーク端末200台を配備し、規程を制定した。",
        "B",
        "延べ3,200人日のテレワーク実績。",
        "窓口部門での活用。",
        "improve",
        0,
        900,
    ),
    "M08": (
        "商店街の48店舗にキャッシュレス決済の導入を補助した。",
        "B",
        "キャッシュレス対応店舗が1.6倍に。",
        "農業分野の実証が未着手。",
        "continue",
        13200,
        0,
    ),
}


def _seed_evaluations(plan: Plan, admin: User, today: dt.date) -> None:
    """Two rounds: last-but-one year approved (the 進捗状況報告書 can be printed), last year open with a mix of
    states (the 事務局's progress page has something to show). Skipped when they exist."""
    last = fiscal_year(today) - 1
    for fy, finished in ((last - 1, True), (last, False)):
        if fy < plan.start_fy or EvaluationRound.objects.filter(plan=plan, fiscal_year=fy).exists():
            continue
        round_ = evaluation_services.open_round(plan=plan, fiscal_year=fy, user=admin)
        for index, evaluation in enumerate(round_.evaluations.select_related("measure").order_by("measure__code")):
            spec = EVALUATIONS.get(evaluation.measure.code)
            if spec is None and not finished:
                continue  # still a draft: the department has not written it yet
            achievements, grade, outcomes, issues, direction, cost, hours = spec or (
                f"{evaluation.measure.title}の年度計画に沿って取り組んだ。",
                "B",
                "",
                "",
                "continue",
                None,
                0,
            )
            evaluation_services.save_draft(
                evaluation=evaluation,
                user=admin,
                achievements=achievements,
                self_grade=grade,
                outcomes=outcomes,
                issues=issues,
                direction=direction,
                settled_cost_thousand_yen=cost,
                hours_saved_per_year=Decimal(hours) if hours else None,
            )
            evaluation_services.submit(evaluation=evaluation, user=admin)
            if finished or index % 3 == 0:
                evaluation_services.accept(evaluation=evaluation, user=admin)
            elif index % 3 == 1:
                evaluation_services.return_evaluation(
                    evaluation=evaluation, user=admin, comment="成果を数値で記載してください。"
                )
        if finished:
            evaluation_services.approve_round(round=round_, user=admin)


@transaction.atomic
def seed_demo(*, today: dt.date | None = None, reset: bool = False) -> Plan:
    """Create the demo city, plan and users. Run again, it changes nothing (so the run command can call it
    every time without undoing what someone did in the demo); reset=True rewrites the demo plan's items."""
    today = today or timezone.localdate()
    municipality, _ = Municipality.objects.update_or_create(
        code=MUNICIPALITY_CODE, defaults={"name": "さくら台市", "name_kana": "さくらだいし"}
    )
    edition = FrameworkEdition.objects.get(is_default=True)
    _seed_neighbours(today=today, edition=edition)
    existing = Plan.objects.filter(municipality=municipality, code=PLAN_CODE).first()
    if existing is not None and not reset:
        departments = {d.code: d for d in municipality.departments.all()}
        _seed_governance(municipality, existing, departments, _seed_users(municipality, departments), today)
        return existing
    departments: dict[str, Department] = {}
    for order, (code, name, level, parent, email) in enumerate(DEPARTMENTS):
        departments[code], _ = Department.objects.update_or_create(
            municipality=municipality,
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": departments.get(parent) if parent else None,
                "email": email,
                "sort_order": order,
            },
        )
    items = {i.number: i for i in NationalItem.objects.filter(edition=edition)}
    start_fy = fiscal_year(today) - 2
    plan, _ = Plan.objects.update_or_create(
        municipality=municipality,
        code=PLAN_CODE,
        defaults={
            "title": "さくら台市DX推進計画",
            "start_fy": start_fy,
            "end_fy": start_fy + 4,
            "edition": edition,
            "status": Plan.Status.APPROVED,
            "vision": "「行かない・書かない・待たない」市役所へ。デジタルの力で、誰一人取り残さず、"
            "市民の時間と職員の力を本当に必要なサービスに振り向けます。",
        },
    )
    pillars = {}
    for order, (code, name) in enumerate(PILLARS):
        pillars[code], _ = Pillar.objects.update_or_create(
            plan=plan, code=code, defaults={"name": name, "sort_order": order}
        )
    users = _seed_users(municipality, departments)
    for order, spec in enumerate(MEASURES):
        measure, _ = Measure.objects.update_or_create(
            plan=plan,
            code=spec.code,
            defaults={
                "title": spec.title,
                "summary": spec.summary,
                "owner_department": departments[spec.department],
                "pillar": pillars[spec.pillar],
                "start_fy": start_fy,
                "end_fy": start_fy + 4,
                "budget_thousand_yen": spec.budget,
                "sort_order": order,
            },
        )
        lens = VALUE_LENS.get(spec.code)
        if lens is not None:
            measure.change_level, measure.audience, measure.channel, measure.is_gx, measure.is_wellbeing = lens
            measure.save(update_fields=["change_level", "audience", "channel", "is_gx", "is_wellbeing"])
        measure.national_items.set([items[n] for n in spec.items])
        for m_order, ms in enumerate(spec.milestones):
            due = today + dt.timedelta(days=ms.due_in_days)
            Milestone.objects.update_or_create(
                plan=plan,
                code=f"{spec.code}-{ms.suffix}",
                defaults={
                    "measure": measure,
                    "title": ms.title,
                    "kind": ms.kind,
                    "due_date": due,
                    "status": ms.status,
                    "completed_on": due if ms.status == DONE else None,
                    "sort_order": m_order,
                },
            )
        if not measure.progress_updates.exists():
            author = users["admin"] if spec.department != "SOM-JOHO" else users["staff"]
            ProgressUpdate.objects.create(measure=measure, author=author, **_self_assessment(spec, today))
    _seed_due_date_changes(plan, users, today)
    for m_code, code, name, unit, direction, base, target, fy_offset, actuals in INDICATORS:
        measure = Measure.objects.get(plan=plan, code=m_code)
        indicator, _ = Indicator.objects.update_or_create(
            plan=plan,
            code=code,
            defaults={
                "measure": measure,
                "name": name,
                "unit": unit,
                "direction": direction,
                "baseline_value": Decimal(base),
                "baseline_date": dt.date(start_fy, 4, 1),
                "target_value": Decimal(target),
                "target_fy": plan.end_fy - fy_offset,
                "source": "さくら台市 業務統計",
            },
        )
        if not indicator.values.exists():
            for days_ago, value in actuals:
                IndicatorValue.objects.create(
                    indicator=indicator,
                    value=Decimal(value),
                    as_of=today - dt.timedelta(days=days_ago),
                    source="業務統計",
                    recorded_by=users["admin"],
                )
    _seed_evaluations(plan, users["admin"], today)
    _seed_governance(municipality, plan, departments, users, today)
    seed_history(plan=plan, today=today, users=users)
    return plan


# role, position, name (blank: the user's), user, department, external, name public
BODY = [
    ("chief", "市長", "桜井 一郎", None, None, False, True),
    ("deputy", "副市長", "山本 恵子", None, None, False, True),
    ("cio", "副市長（CIO）", "山本 恵子", None, None, False, True),
    ("cio_adviser", "CIO補佐官（外部人材）", "高橋 誠", None, None, True, False),
    ("member", "総務部長", "中村 直樹", None, "SOM", False, False),
    ("member", "企画部長", "小林 美穂", None, "KIK", False, False),
    ("member", "市民部長", "加藤 健", None, "SHI", False, False),
    ("member", "福祉部長", "吉田 亜紀", None, "FUK", False, False),
    ("promoter", "推進員", "", "staff", "SOM-JOHO", False, False),
    ("promoter", "推進員", "", "staff2", "SHI-SHIMIN", False, False),
    ("secretariat", "事務局（情報政策課）", "", "admin", "SOM-JOHO", False, False),
]


def _seed_governance(
    municipality: Municipality, plan: Plan, departments: dict[str, Department], users: dict[str, User], today: dt.date
) -> None:
    """The 推進体制 and two past 本部会議 whose decisions created actions (milestones under M03 and M15): one open
    and overdue for 市民課, one done, one due soon for 情報政策課. Seeded once: a demo with meetings is left as
    it is."""
    from governance import services as governance
    from governance.models import BodyMember, Meeting
    from governance.selectors import agenda_proposals

    if not BodyMember.objects.filter(municipality=municipality).exists():
        for order, (role, position, name, username, dept, external, public) in enumerate(BODY):
            BodyMember.objects.create(
                municipality=municipality,
                role=role,
                position=position,
                name=name,
                user=users.get(username) if username else None,
                department=departments.get(dept) if dept else None,
                is_external=external,
                name_is_public=public,
                sort_order=order,
            )
    if Meeting.objects.filter(municipality=municipality).exists():
        return
    admin = users["admin"]
    attendees = list(BodyMember.objects.filter(municipality=municipality).exclude(role="promoter"))
    first = governance.meeting_create(
        user=admin,
        plan=plan,
        kind="headquarters",
        number=1,
        place="本庁舎 第1会議室",
        held_on=today - dt.timedelta(days=120),
        attendees=attendees,
    )
    proposals = agenda_proposals(meeting=first)
    items = (
        governance.agenda_accept(user=admin, meeting=first, keys=[p.key for p in proposals[:3]]) if proposals else []
    )
    governance.meeting_update_minutes(
        user=admin,
        meeting=first,
        materials="資料1 DX推進計画の進捗状況\n資料2 窓口のオンライン化について",
        summary_public="計画の進捗を確認し、遅れている窓口のオンライン化について対応を決定した。",
        summary_internal="市民課の人員配置について次回までに総務部と調整する。",
    )
    governance.decision_record(
        user=admin,
        meeting=first,
        agenda_item=items[0] if items else None,
        text="窓口のオンライン化は手続の優先順位を見直し、転入・転出から先行する。",
        actions=[
            governance.ActionSpec(
                title="オンライン化する手続の優先順位表の作成",
                owner_department=departments["SHI-SHIMIN"],
                due_date=today - dt.timedelta(days=30),
                measure=Measure.objects.get(plan=plan, code="M03"),
            ),
            governance.ActionSpec(
                title="職員向けDX研修の日程調整",
                owner_department=departments["SOM-JOHO"],
                due_date=today - dt.timedelta(days=60),
                measure=Measure.objects.get(plan=plan, code="M15"),
            ),
        ],
    )
    done = first.decisions.get().actions.get(milestone__owner_department=departments["SOM-JOHO"]).milestone
    done.status, done.completed_on = WorkStatus.DONE, today - dt.timedelta(days=65)
    done._history_user = users["staff"]
    done.save()
    second = governance.meeting_create(
        user=admin,
        plan=plan,
        kind="headquarters",
        number=2,
        place="本庁舎 第1会議室",
        held_on=today - dt.timedelta(days=45),
        attendees=attendees,
    )
    proposals = agenda_proposals(meeting=second)  # starts with the first meeting's open action
    items = (
        governance.agenda_accept(user=admin, meeting=second, keys=[p.key for p in proposals[:4]]) if proposals else []
    )
    governance.decision_record(
        user=admin,
        meeting=second,
        agenda_item=items[0] if items else None,
        text="計画の改定（第2版）に向け、施策の柱の見直し案を事務局が作成する。",
        actions=[
            governance.ActionSpec(
                title="施策の柱の見直し案の作成",
                owner_department=departments["SOM-JOHO"],
                due_date=today + dt.timedelta(days=20),
                measure=Measure.objects.get(plan=plan, code="M15"),
            )
        ],
    )


# The one measure whose department is more optimistic than its schedule: the demo shows the
# 「自己評価と工程に差異」 flag on a story that explains itself.
OPTIMISTIC_MEASURE = "M03"


def _self_assessment(spec: DemoMeasure, today: dt.date) -> dict:
    """The department's latest report, consistent with its milestones (measures.progress): 遅延 when a
    milestone is overdue, a % near the milestone %; only OPTIMISTIC_MEASURE reports ahead of its schedule."""
    counted = [m for m in spec.milestones if m.status != WorkStatus.CANCELLED]
    if not counted:
        return {
            "status": PROG,
            "percent_done": spec.percent,
            "comment": f"{spec.title}：工程表はまだありません。進捗率は担当課の見込みです。",
        }
    done = sum(1 for m in counted if m.status == DONE)
    schedule = round(done / len(counted) * 100)
    overdue = [m for m in counted if m.status != DONE and m.due_in_days < 0]
    if done == len(counted):
        return {"status": DONE, "percent_done": 100, "comment": f"{spec.title}：すべての工程が完了しました。"}
    if spec.code == OPTIMISTIC_MEASURE:
        return {
            "status": PROG,
            "percent_done": min(100, schedule + 35),
            "comment": f"{spec.title}：現状調査を終え、試行の準備も進んでいるため担当課としては7割程度と"
            "見ています（工程表の更新は未了）。",
        }
    if overdue:
        return {
            "status": LATE,
            "percent_done": schedule,
            "comment": f"{spec.title}：「{overdue[0].title}」が期限を過ぎています。関係課と調整中です。",
        }
    return {"status": PROG, "percent_done": schedule, "comment": f"{spec.title}：工程表どおり進めています。"}


def _seed_due_date_changes(plan: Plan, users: dict[str, User], today: dt.date) -> None:
    """One approved change (the milestone keeps its 当初期限 and shows the slippage) and one request waiting for
    the 事務局 on its home page."""
    approved = Milestone.objects.filter(plan=plan, code="M01-4").first()
    if approved is not None and not approved.due_date_requests.exists():
        baseline = approved.due_date - dt.timedelta(days=45)
        Milestone.objects.filter(pk=approved.pk).update(baseline_due_date=baseline)
        DueDateChangeRequest.objects.create(
            milestone=approved,
            previous_due_date=baseline,
            requested_due_date=approved.due_date,
            reason="標準準拠システムの提供開始がベンダー側で45日遅れたため",
            state=DueDateChangeRequest.State.APPROVED,
            requested_by=users["staff"],
            decided_by=users["admin"],
            decided_at=timezone.now() - dt.timedelta(days=20),
            decision_comment="本部会議で了承",
        )
    pending = (
        Milestone.objects.filter(
            plan=plan,
            measure__owner_department__code="SOM-JOHO",
            status__in=Milestone.OPEN_STATUSES,
            due_date__gte=today,
        )
        .exclude(code="M01-4")
        .order_by("due_date")
        .first()
    )
    if pending is not None and not pending.due_date_requests.exists():
        DueDateChangeRequest.objects.create(
            milestone=pending,
            previous_due_date=pending.due_date,
            requested_due_date=pending.due_date + dt.timedelta(days=30),
            reason="庁内調整に時間を要し、検証期間を1か月確保するため",
            requested_by=users["staff"],
        )


def _seed_users(municipality: Municipality, departments: dict[str, Department]) -> dict[str, User]:
    users = {}
    for username, role, dept_codes, display, scope in USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@sakuradai.example.jp"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = role == Role.ADMIN  # the Django admin is for the 事務局
        user.is_superuser = username == "admin"
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        membership, _ = Membership.objects.update_or_create(
            user=user, defaults={"municipality": municipality, "display_name": display, "compare_scope": scope}
        )
        membership.departments.set([departments[c] for c in dept_codes])
        users[username] = user
    return users
