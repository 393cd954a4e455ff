"""Progress updates are append-only; a KPI date has one current value (corrections are kept)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from measures.models import IndicatorValue, ProgressUpdate

from .factories import (
    IndicatorFactory,
    ProgressUpdateFactory,
)

pytestmark = pytest.mark.django_db


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
