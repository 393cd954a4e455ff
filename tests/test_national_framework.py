"""The national framework (総務省の自治体DX推進計画) loaded by migration: editions, items, crosswalk."""

import pytest

from plans.models import FrameworkEdition, ItemCrosswalk, NationalItem

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
