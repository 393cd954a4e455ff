"""全国地方公共団体コード: six digits with a check digit."""

import pytest
from django.core.exceptions import ValidationError

from plans.validators import municipality_check_digit, validate_municipality_code

from .factories import (
    MunicipalityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["131016", "011002", "130001", "271004", "139998"])
def test_valid_municipality_codes_pass(code):
    validate_municipality_code(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("131017", "check_digit"),
        ("011003", "check_digit"),
        ("13101", "format"),
        ("13101A", "format"),
        ("１３１０１６", "format"),
        ("481016", "prefecture"),
        ("001016", "prefecture"),
    ],
)
def test_invalid_municipality_codes_fail(code, reason):
    with pytest.raises(ValidationError) as exc:
        validate_municipality_code(code)
    assert exc.value.error_list[0].code == reason


def test_check_digit_remainders_zero_and_one():
    # remainder 0 → 11 → 1; remainder 1 → 10 → 0 (the ones digit)
    assert municipality_check_digit("11000") == (11 - (6 + 5) % 11) % 10 == 1
    assert municipality_check_digit("01200") == (11 - (5 + 8) % 11) % 10


def test_municipality_full_clean_reports_bad_check_digit():
    m = MunicipalityFactory.build(code="131017", name="千代田区")
    with pytest.raises(ValidationError, match="検査数字"):
        m.full_clean()
