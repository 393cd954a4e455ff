"""Loads the national framework: 総務省「自治体DX推進計画」第1.0版 (11 items, the default) and 第2.3版's
7 重点取組事項, with a crosswalk from the first to the second. The data lives here, not in a fixture, so a
fresh `migrate` always has it."""

import datetime as dt

from django.db import migrations

V1_GROUP_FOCUS = "重点取組事項"
V1_GROUP_WITH = "自治体DXの取組とあわせて取り組むべき事項"
V1_GROUP_OTHER = "その他"

# number, group, name, short name, description, national deadline, deadline note
V1_ITEMS = [
    (1, V1_GROUP_FOCUS, "自治体の情報システムの標準化・共通化", "標準化・共通化",
     "基幹業務等（20業務）のシステムを、国が策定する標準仕様に準拠した標準準拠システムへ移行する。",
     dt.date(2026, 3, 31), "2025年度末までに標準準拠システムへ移行"),
    (2, V1_GROUP_FOCUS, "マイナンバーカードの普及促進", "マイナンバーカード",
     "2022年度末までにほぼ全住民にマイナンバーカードが行き渡ることを目指す。",
     dt.date(2023, 3, 31), "2022年度末までにほぼ全住民に"),
    (3, V1_GROUP_FOCUS, "自治体の行政手続のオンライン化", "行政手続のオンライン化",
     "特に住民の利便性向上に資する手続について、マイナポータルからマイナンバーカードを用いてオンライン手続を可能にする。",
     dt.date(2023, 3, 31), "2022年度末までにマイナポータルから"),
    (4, V1_GROUP_FOCUS, "自治体のAI・RPAの利用推進", "AI・RPA", "AI・RPAの導入ガイドブックを参考に、利用を推進する。", None, ""),
    (5, V1_GROUP_FOCUS, "テレワークの推進", "テレワーク", "導入事例を参考に、テレワークの導入・活用を推進する。", None, ""),
    (6, V1_GROUP_FOCUS, "セキュリティ対策の徹底", "セキュリティ",
     "情報セキュリティポリシーに関するガイドラインを踏まえ、セキュリティ対策を徹底する。", None, ""),
    (7, V1_GROUP_WITH, "地域社会のデジタル化", "地域社会のデジタル化", "地域の実情に応じたデジタル技術の活用により地域課題を解決する。", None, ""),
    (8, V1_GROUP_WITH, "デジタルデバイド対策", "デジタルデバイド対策", "高齢者等がデジタル化の恩恵を受けられるよう支援する。", None, ""),
    (9, V1_GROUP_OTHER, "BPRの取組の徹底（書面・押印・対面の見直し）", "BPR（書面・押印・対面の見直し）",
     "業務改革（BPR）を徹底し、書面・押印・対面を前提とした手続を見直す。", None, ""),
    (10, V1_GROUP_OTHER, "オープンデータの推進", "オープンデータ", "推奨データセットに沿ったオープンデータの公開・活用を推進する。", None, ""),
    (11, V1_GROUP_OTHER, "官民データ活用推進計画策定の推進", "官民データ活用推進計画",
     "市町村官民データ活用推進計画の策定を推進する。", None, ""),
]

V23_ITEMS = [
    (1, V1_GROUP_FOCUS, "自治体フロントヤード改革の推進", "フロントヤード改革",
     "住民との接点（フロントヤード）の多様化・充実化と、バックヤードの改革を一体的に進める。", None, ""),
    (2, V1_GROUP_FOCUS, "自治体の情報システムの標準化・共通化", "標準化・共通化",
     "基幹業務システムの標準準拠システムへの移行（2025年度末まで。移行困難システムは個別に期限設定）。",
     dt.date(2026, 3, 31), "2025年度末までに標準準拠システムへ移行"),
    (3, V1_GROUP_FOCUS, "公金収納におけるeLTAXの活用", "eLTAXの活用", "地方税以外の公金についてもeLTAXを活用した収納を進める。",
     None, ""),
    (4, V1_GROUP_FOCUS, "マイナンバーカードの普及促進・利用の推進", "マイナンバーカード", "カードの普及とともに、利用場面の拡大を進める。", None, ""),
    (5, V1_GROUP_FOCUS, "セキュリティ対策の徹底", "セキュリティ", "情報セキュリティポリシーに関するガイドラインを踏まえた対策。", None, ""),
    (6, V1_GROUP_FOCUS, "自治体のAI・RPAの利用推進", "AI・RPA", "生成AIを含むAI・RPAの利用を推進する。", None, ""),
    (7, V1_GROUP_FOCUS, "テレワークの推進", "テレワーク", "テレワークの導入・活用を推進する。", None, ""),
]

# v1 number → v2.3 number, note
CROSSWALK = [
    (1, 2, ""),
    (2, 4, "普及促進に加え、利用の推進"),
    (3, 1, "行政手続のオンライン化はフロントヤード改革に包含"),
    (4, 6, ""),
    (5, 7, ""),
    (6, 5, ""),
    (9, 1, "書面・押印・対面の見直しはフロントヤード改革と一体で推進"),
]


def load(apps, schema_editor):
    Edition = apps.get_model("plans", "FrameworkEdition")
    Item = apps.get_model("plans", "NationalItem")
    Crosswalk = apps.get_model("plans", "ItemCrosswalk")

    v1, _ = Edition.objects.update_or_create(
        code="v1.0",
        defaults={"name": "第1.0版", "published_on": dt.date(2020, 12, 25), "period_start": dt.date(2021, 1, 1),
                  "period_end": dt.date(2026, 3, 31), "is_default": True},
    )
    v23, _ = Edition.objects.update_or_create(
        code="v2.3",
        defaults={"name": "第2.3版", "published_on": dt.date(2024, 2, 5), "period_start": dt.date(2021, 1, 1),
                  "period_end": dt.date(2026, 3, 31), "is_default": False},
    )
    items = {}
    for edition, rows in ((v1, V1_ITEMS), (v23, V23_ITEMS)):
        for number, group, name, short, description, deadline, note in rows:
            items[edition.code, number], _ = Item.objects.update_or_create(
                edition=edition, number=number,
                defaults={"group": group, "name": name, "short_name": short, "description": description,
                          "national_deadline": deadline, "deadline_note": note},
            )
    for old, new, note in CROSSWALK:
        Crosswalk.objects.update_or_create(from_item=items["v1.0", old], to_item=items["v2.3", new],
                                           defaults={"note": note})


def unload(apps, schema_editor):
    apps.get_model("plans", "FrameworkEdition").objects.filter(code__in=["v1.0", "v2.3"]).delete()


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
