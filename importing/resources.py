"""One django-import-export Resource per sheet of the plan workbook (docs/import-format.md).

The Resources own the column definitions: Japanese header (`column_name`), accepted English aliases, which
columns are required, the widget that parses a cell (Japanese dates, fiscal years, labels, national items,
departments) and renders it for export. The import (reading.py) uses them to read, the template
(template.py) and the admin's per-model export buttons use them to write.

Not translated, on purpose: sheet names, headers, aliases and the choice labels are the file format (a workbook
written in English must import the same way, and an export must round-trip whatever the exporter's language),
and the help texts are the 説明 sheet of that Japanese workbook.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from import_export import fields, resources, widgets

from evaluations.models import Direction as EvaluationDirection
from evaluations.models import MeasureEvaluation
from measures.models import Audience, ChangeLevel, Channel, Indicator, IndicatorValue, Measure, WorkStatus
from milestones.models import Milestone
from plans.models import Department, Pillar

from . import parsing

STATUS = parsing.ChoiceParser(
    {s.value: str(s.label) for s in WorkStatus},
    default=WorkStatus.NOT_STARTED,
    aliases={
        "not started": "not_started",
        "in progress": "in_progress",
        "completed": "done",
        "delayed": "delayed",
        "cancelled": "cancelled",
        "canceled": "cancelled",
        "済": "done",
        "完了済み": "done",
    },
)
KIND = parsing.ChoiceParser(
    {k.value: str(k.label) for k in Milestone.Kind},
    default=Milestone.Kind.INTERIM,
    aliases={"中間": "interim", "到達": "goal", "milestone": "interim"},
)
DIRECTION = parsing.ChoiceParser(
    {"higher": "増加", "lower": "減少"},
    default=Indicator.Direction.HIGHER,
    aliases={str(d.label): d.value for d in Indicator.Direction}
    | {"増": "higher", "減": "lower", "up": "higher", "down": "lower"},
)

CHANGE_LEVEL = parsing.ChoiceParser(
    {c.value: str(c.label) for c in ChangeLevel},
    default="",
    aliases={"d": "digitization", "x": "transformation", "dx": "transformation", "bpr": "bpr", "改革": "bpr"},
)
AUDIENCE = parsing.ChoiceParser(
    {a.value: str(a.label) for a in Audience},
    default="",
    aliases={"住民": "residents", "内部": "internal", "庁内": "internal"},
)
CHANNEL = parsing.ChoiceParser(
    {c.value: str(c.label) for c in Channel},
    default="",
    aliases={"両方": "both", "オンライン・窓口": "both", "オンライン/窓口": "both", "対面": "counter"},
)
TAGS = {"gx": "GX", "wellbeing": "ウェルビーイング"}
EVALUATION_DIRECTION = parsing.ChoiceParser({d.value: str(d.label) for d in EvaluationDirection}, default="")


# --- widgets ------------------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    def __init__(self, max_length: int | None = None, required: bool = False):
        super().__init__()
        self.max_length, self.required = max_length, required

    def clean(self, value, row=None, **kwargs):
        return parsing.clean_text(value, max_length=self.max_length)

    def render(self, value, obj=None, **kwargs):
        return value or ""


class NameWidget(TextWidget):
    """A name: one line (no line breaks or other control characters)."""

    def clean(self, value, row=None, **kwargs):
        return parsing.clean_name(value, max_length=self.max_length)


class CodeWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return parsing.clean_code(value, max_length=self.max_length or 32)


class EmailWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return parsing.clean_email(value)


class DecimalValueWidget(widgets.Widget):
    def __init__(self, model_field=None):
        super().__init__()
        self.model_field = model_field  # the DecimalField whose digits the value must fit

    def clean(self, value, row=None, **kwargs):
        number = parsing.clean_decimal(value)
        if self.model_field is None:
            return number
        return parsing.check_digits(
            number, max_digits=self.model_field.max_digits, decimal_places=self.model_field.decimal_places
        )

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else float(value)


class IntegerValueWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parsing.clean_integer(value)

    def render(self, value, obj=None, **kwargs):
        return value


class JapaneseDateWidget(widgets.Widget):
    """Excel date cells and 2025/4/1, 2025年4月1日, 令和7年4月1日, R7.4.1 …"""

    def clean(self, value, row=None, **kwargs):
        return parsing.clean_date(value)

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return value.strftime("%Y/%m/%d") if isinstance(value, dt.date) else ""


class FiscalYearWidget(widgets.Widget):
    """2025, 2025年度, 令和7年度, R7 → 2025."""

    def clean(self, value, row=None, **kwargs):
        return parsing.clean_fiscal_year(value)

    def render(self, value, obj=None, **kwargs):
        return value


class ChoiceWidget(widgets.Widget):
    def __init__(self, parser: parsing.ChoiceParser):
        super().__init__()
        self.parser = parser

    def clean(self, value, row=None, **kwargs):
        return self.parser.parse(value)

    def render(self, value, obj=None, **kwargs):
        return self.parser.label(value) if value else ""


class NationalItemsWidget(widgets.Widget):
    """「1、3」「自治体の情報システムの標準化・共通化, 4」 → (1, 3); renders numbers joined by 、."""

    lookup: parsing.NationalItemLookup | None = None

    def clean(self, value, row=None, **kwargs):
        return self.lookup.resolve(value)

    def render(self, value, obj=None, **kwargs):
        return "、".join(str(n) for n in value or ())


class DepartmentRefWidget(widgets.Widget):
    """A department by code or name → its code. Blank allowed when `required` is False."""

    lookup: parsing.DepartmentLookup | None = None

    def __init__(self, required: bool = True):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if parsing.is_blank(value):
            return ""
        return self.lookup.resolve(value)

    def render(self, value, obj=None, **kwargs):
        return value or ""


def _max_length(model, name: str) -> int:
    """The column's own limit, so the preview refuses what the database would."""
    return model._meta.get_field(name).max_length


class TagsWidget(widgets.Widget):
    """「GX、ウェルビーイング」 → ("gx", "wellbeing"); renders the labels joined by 、."""

    def clean(self, value, row=None, **kwargs):
        lookup = {parsing.nfkc(label).lower(): key for key, label in TAGS.items()} | {key: key for key in TAGS}
        keys = set()
        for part in parsing.split_list(value):
            key = lookup.get(parsing.nfkc(part).lower())
            if key is None:
                raise parsing.CellError(
                    f"タグ「{part}」は使えません。{'、'.join(TAGS.values())} を「、」で区切って入力してください。"
                )
            keys.add(key)
        return tuple(k for k in TAGS if k in keys)

    def render(self, value, obj=None, **kwargs):
        return "、".join(TAGS[k] for k in value or ())


def _field(attribute: str, header: str, widget: widgets.Widget) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget)


# --- resources ----------------------------------------------------------------------------------


class SheetResource(resources.ModelResource):
    """A sheet of the plan workbook. Subclasses set the sheet name, the natural key and the columns."""

    sheet_name: ClassVar[str]
    key: ClassVar[str] = "code"
    required: ClassVar[tuple[str, ...]] = ()
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {}
    # field → (explanation, example) for the template's 説明 sheet
    help: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init__(
        self,
        *,
        national_items: parsing.NationalItemLookup | None = None,
        departments: parsing.DepartmentLookup | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, NationalItemsWidget):
                field.widget.lookup = national_items
            if isinstance(field.widget, DepartmentRefWidget):
                field.widget.lookup = departments

    @classmethod
    def column_fields(cls) -> list[tuple[str, fields.Field]]:
        """The sheet's columns in template order (Meta.fields)."""
        return [(name, cls.fields[name]) for name in cls._meta.fields]

    def export_row(self, obj) -> list:
        return [self.export_field(self.fields[name], obj, force_native_type=True) for name in self._meta.fields]

    @classmethod
    def header_of(cls, name: str) -> str:
        return cls.fields[name].column_name


class DepartmentResource(SheetResource):
    sheet_name = "部署"
    required = ("code", "name")
    code = _field("code", "部署コード", CodeWidget(32))
    name = _field("name", "部署名", NameWidget(_max_length(Department, "name")))
    parent_code = _field("parent_code", "上位部署コード", CodeWidget(32))
    email = _field("email", "メールアドレス", EmailWidget())
    aliases = {
        "code": ("department code", "dept code", "code"),
        "name": ("department name", "department", "name"),
        "parent_code": ("parent code", "parent"),
        "email": ("email", "e-mail", "mail"),
    }
    help = {
        "code": ("部署を表す英数字のコード（必須）。既にある部署はコードで照合し、名前などを更新します。", "SOM-JOHO"),
        "name": ("部署名（必須）", "情報政策課"),
        "parent_code": ("上位の部署のコード。空欄なら最上位。", "SOM"),
        "email": ("期限通知メールの送り先", "joho@example.lg.jp"),
    }

    class Meta:
        model = Department
        fields = ("code", "name", "parent_code", "email")
        import_id_fields = ("code",)

    def dehydrate_parent_code(self, obj: Department) -> str:
        return obj.parent.code if obj.parent_id else ""


class MeasureResource(SheetResource):
    sheet_name = "施策"
    required = ("code", "title", "national_items", "owner_department")
    code = _field("code", "施策コード", CodeWidget(32))
    title = _field("title", "施策名", NameWidget(_max_length(Measure, "title")))
    summary = _field("summary", "概要", TextWidget())
    current_issues = _field("current_issues", "現状・課題", TextWidget())
    national_items = _field("national_items", "国の取組項目", NationalItemsWidget())
    owner_department = _field("owner_department", "担当部署", DepartmentRefWidget())
    pillar = _field("pillar", "施策の柱", NameWidget(_max_length(Pillar, "name")))
    start_fy = _field("start_fy", "開始年度", FiscalYearWidget())
    end_fy = _field("end_fy", "終了年度", FiscalYearWidget())
    budget = _field("budget_thousand_yen", "予算（千円）", IntegerValueWidget())
    change_level = _field("change_level", "変革の段階", ChoiceWidget(CHANGE_LEVEL))
    channel = _field("channel", "チャネル", ChoiceWidget(CHANNEL))
    audience = _field("audience", "対象", ChoiceWidget(AUDIENCE))
    tags = _field("tags", "タグ", TagsWidget())
    aliases = {
        "code": ("measure code", "code"),
        "title": ("measure", "title", "name"),
        "summary": ("summary",),
        "current_issues": ("issues", "current issues"),
        "national_items": ("national items", "items"),
        "owner_department": ("department", "owner department", "owner"),
        "pillar": ("pillar",),
        "start_fy": ("start fy", "start year", "start"),
        "end_fy": ("end fy", "end year", "end"),
        "budget": ("budget", "予算", "予算(千円)", "budget (thousand yen)"),
        "change_level": ("change level", "level of change", "変革レベル"),
        "channel": ("channel",),
        "audience": ("audience", "住民サービス/内部事務"),
        "tags": ("tags",),
    }
    help = {
        "code": ("施策を表すコード（必須）。同じコードの施策は上書き更新されます。", "M01"),
        "title": ("施策名（必須）", "基幹業務システムの標準化・共通化"),
        "summary": ("施策の概要", "住民記録・税など20業務を標準準拠システムへ移行する。"),
        "current_issues": ("現状と課題", "システムごとに個別改修が多い。"),
        "national_items": ("国の取組項目（必須）。番号1〜11または項目名。複数は「、」か「,」で区切る。", "1、3"),
        "owner_department": ("担当部署のコードまたは部署名（必須）", "SOM-JOHO"),
        "pillar": ("施策の柱の名前（またはコード）。無ければ新しく作ります。", "業務の効率化と働き方改革"),
        "start_fy": ("開始年度。2025、2025年度、令和7年度、R7 のいずれか。", "令和7年度"),
        "end_fy": ("終了年度（開始年度以降）", "2027"),
        "budget": ("予算額（千円、整数）", "12000"),
        "change_level": (
            "デジタル化（道具の置き換え）・業務改革・変革（サービスや仕事の姿を変える）のいずれか",
            "業務改革",
        ),
        "channel": ("オンライン・窓口・オンラインと窓口 のいずれか", "オンラインと窓口"),
        "audience": ("住民サービス または 内部事務", "住民サービス"),
        "tags": ("GX、ウェルビーイング（該当するものを「、」で区切る）", "GX"),
    }

    class Meta:
        model = Measure
        fields = (
            "code",
            "title",
            "summary",
            "current_issues",
            "national_items",
            "owner_department",
            "pillar",
            "start_fy",
            "end_fy",
            "budget",
            "change_level",
            "channel",
            "audience",
            "tags",
        )
        import_id_fields = ("code",)

    def dehydrate_national_items(self, obj: Measure) -> str:
        return self.fields["national_items"].widget.render(sorted(i.number for i in obj.national_items.all()))

    def dehydrate_owner_department(self, obj: Measure) -> str:
        return obj.owner_department.code

    def dehydrate_pillar(self, obj: Measure) -> str:
        return obj.pillar.name if obj.pillar_id else ""

    def dehydrate_tags(self, obj: Measure) -> str:
        return self.fields["tags"].widget.render(measure_tags(obj.is_gx, obj.is_wellbeing))


def measure_tags(is_gx: bool, is_wellbeing: bool) -> tuple[str, ...]:
    return tuple(key for key, on in (("gx", is_gx), ("wellbeing", is_wellbeing)) if on)


class MilestoneResource(SheetResource):
    sheet_name = "マイルストーン"
    required = ("code", "measure_code", "title", "due_date")
    code = _field("code", "マイルストーンコード", CodeWidget(32))
    measure_code = _field("measure_code", "施策コード", CodeWidget(32))
    title = _field("title", "マイルストーン名", NameWidget(_max_length(Milestone, "title")))
    kind = _field("kind", "種別", ChoiceWidget(KIND))
    due_date = _field("due_date", "期限", JapaneseDateWidget())
    owner_department = _field("owner_department", "担当部署", DepartmentRefWidget(required=False))
    status = _field("status", "状況", ChoiceWidget(STATUS))
    completed_on = _field("completed_on", "完了日", JapaneseDateWidget())
    aliases = {
        "code": ("milestone code", "code"),
        "measure_code": ("measure code", "measure"),
        "title": ("milestone", "title", "name"),
        "kind": ("kind", "type"),
        "due_date": ("due date", "due", "期日"),
        "owner_department": ("department", "owner department", "owner"),
        "status": ("status", "状態"),
        "completed_on": ("completed on", "completed", "done on", "完了年月日"),
    }
    help = {
        "code": ("マイルストーンのコード（必須、計画内で一意）", "M01-1"),
        "measure_code": ("この工程が属する施策のコード（必須）", "M01"),
        "title": ("マイルストーン名（必須）", "現行システムの棚卸し"),
        "kind": ("中間指標 または 到達目標。空欄は中間指標。", "中間指標"),
        "due_date": ("期限（必須）。2025/4/1、2025年4月1日、令和7年4月1日、R7.4.1 など。", "令和7年9月30日"),
        "owner_department": ("担当部署。空欄なら施策の担当部署。", ""),
        "status": ("未着手・進行中・完了・遅延・中止。空欄は未着手。", "進行中"),
        "completed_on": ("完了日。状況が「完了」のとき必須、それ以外は空欄。", ""),
    }

    class Meta:
        model = Milestone
        fields = ("code", "measure_code", "title", "kind", "due_date", "owner_department", "status", "completed_on")
        import_id_fields = ("code",)

    def dehydrate_measure_code(self, obj: Milestone) -> str:
        return obj.measure.code

    def dehydrate_owner_department(self, obj: Milestone) -> str:
        return obj.owner_department.code if obj.owner_department_id else ""


class IndicatorResource(SheetResource):
    sheet_name = "指標"
    required = ("code", "measure_code", "name")
    code = _field("code", "指標コード", CodeWidget(32))
    measure_code = _field("measure_code", "施策コード", CodeWidget(32))
    name = _field("name", "指標名", NameWidget(_max_length(Indicator, "name")))
    unit = _field("unit", "単位", NameWidget(_max_length(Indicator, "unit")))
    direction = _field("direction", "方向", ChoiceWidget(DIRECTION))
    baseline_value = _field("baseline_value", "基準値", DecimalValueWidget(Indicator._meta.get_field("baseline_value")))
    baseline_date = _field("baseline_date", "基準日", JapaneseDateWidget())
    target_value = _field("target_value", "目標値", DecimalValueWidget(Indicator._meta.get_field("target_value")))
    target_fy = _field("target_fy", "目標年度", FiscalYearWidget())
    actual_value = _field("actual_value", "実績値", DecimalValueWidget(IndicatorValue._meta.get_field("value")))
    actual_date = _field("actual_date", "実績日", JapaneseDateWidget())
    aliases = {
        "code": ("indicator code", "kpi code", "code"),
        "measure_code": ("measure code", "measure"),
        "name": ("indicator", "kpi", "name"),
        "unit": ("unit",),
        "direction": ("direction",),
        "baseline_value": ("baseline", "baseline value"),
        "baseline_date": ("baseline date",),
        "target_value": ("target", "target value"),
        "target_fy": ("target fy", "target year"),
        "actual_value": ("actual", "actual value"),
        "actual_date": ("actual date", "as of"),
    }
    help = {
        "code": ("指標（KPI）のコード（必須、計画内で一意）", "K01"),
        "measure_code": ("この指標が属する施策のコード（必須）", "M01"),
        "name": ("指標名（必須）", "標準準拠システムへ移行した業務数"),
        "unit": ("単位", "業務"),
        "direction": ("増加（大きいほど良い）または減少（小さいほど良い）。空欄は増加。", "増加"),
        "baseline_value": ("基準値（数値）", "0"),
        "baseline_date": ("基準値の時点", "2023/4/1"),
        "target_value": ("目標値（数値）", "20"),
        "target_fy": ("目標年度", "令和7年度"),
        "actual_value": ("最新の実績値。入力すると実績日の値として記録します（過去の値は消えません）。", "8"),
        "actual_date": ("実績値の時点（実績値を入れたときは必須）", "2025/3/31"),
    }

    class Meta:
        model = Indicator
        fields = (
            "code",
            "measure_code",
            "name",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_fy",
            "actual_value",
            "actual_date",
        )
        import_id_fields = ("code",)

    def dehydrate_measure_code(self, obj: Indicator) -> str:
        return obj.measure.code

    def _latest(self, obj: Indicator):
        values = [v for v in obj.values.all() if v.is_current]
        return max(values, key=lambda v: v.as_of) if values else None

    def dehydrate_actual_value(self, obj: Indicator):
        latest = self._latest(obj)
        return self.fields["actual_value"].widget.render(latest.value) if latest else None

    def dehydrate_actual_date(self, obj: Indicator):
        latest = self._latest(obj)
        return latest.as_of if latest else None


class EvaluationResource(SheetResource):
    """「年度評価」: one row per (fiscal year, measure). The round must have been opened in the portal; rows of an
    approved round, or of an evaluation already submitted, can be exported but not changed."""

    sheet_name = "年度評価"
    key = "fiscal_year"
    required = ("fiscal_year", "measure_code")
    fiscal_year = _field("fiscal_year", "年度", FiscalYearWidget())
    measure_code = _field("measure_code", "施策コード", CodeWidget(32))
    achievements = _field("achievements", "取組実績", TextWidget(8000))
    self_grade = _field("self_grade", "自己評価", TextWidget(8))
    outcomes = _field("outcomes", "成果", TextWidget(8000))
    issues = _field("issues", "課題", TextWidget(8000))
    future_direction = _field("direction", "今後の方向性", ChoiceWidget(EVALUATION_DIRECTION))
    settled_cost = _field("settled_cost_thousand_yen", "事業費 決算（千円）", IntegerValueWidget())
    hours_saved = _field("hours_saved_per_year", "削減された業務時間（時間/年）", DecimalValueWidget())
    evidence_links = _field("evidence_links", "根拠資料のリンク", TextWidget(4000))
    aliases = {
        "fiscal_year": ("fiscal year", "fy", "評価年度", "評価対象年度"),
        "measure_code": ("measure code", "measure"),
        "achievements": ("achievements", "取組内容"),
        "self_grade": ("self assessment", "grade", "評価"),
        "outcomes": ("outcomes",),
        "issues": ("issues",),
        "future_direction": ("direction", "方向性"),
        "settled_cost": ("settled cost", "決算", "事業費", "事業費（決算）", "決算額（千円）"),
        "hours_saved": ("hours saved", "削減時間"),
        "evidence_links": ("evidence", "根拠資料"),
    }
    help = {
        "fiscal_year": ("評価する年度（必須）。年度評価はポータルで開始しておきます。", "令和7年度"),
        "measure_code": ("評価する施策のコード（必須）", "M01"),
        "achievements": ("その年度の取組実績（提出に必須）", "申請20手続をオンライン化した。"),
        "self_grade": ("自己評価。年度評価の段階（既定は A・B・C・D）のいずれか。", "B"),
        "outcomes": ("成果", "来庁者が30%減った。"),
        "issues": ("課題", "高齢者の利用が少ない。"),
        "future_direction": ("今後の方向性: 拡充・継続・改善・縮小・廃止・完了", "継続"),
        "settled_cost": ("事業費の決算額（千円、0以上の整数）", "1200"),
        "hours_saved": ("削減された業務時間（時間/年、0以上）", "300"),
        "evidence_links": ("根拠資料のURL。複数はセル内で改行。", "https://example.lg.jp/report.pdf"),
    }

    class Meta:
        model = MeasureEvaluation
        fields = (
            "fiscal_year",
            "measure_code",
            "achievements",
            "self_grade",
            "outcomes",
            "issues",
            "future_direction",
            "settled_cost",
            "hours_saved",
            "evidence_links",
        )

    def dehydrate_fiscal_year(self, obj: MeasureEvaluation) -> int:
        return obj.round.fiscal_year

    def dehydrate_measure_code(self, obj: MeasureEvaluation) -> str:
        return obj.measure.code


SHEET_RESOURCES: tuple[type[SheetResource], ...] = (
    DepartmentResource,
    MeasureResource,
    MilestoneResource,
    IndicatorResource,
    EvaluationResource,
)
REQUIRED_SHEETS = ("施策", "マイルストーン", "指標")
