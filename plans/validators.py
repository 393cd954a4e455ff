from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def municipality_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード: weights 6,5,4,3,2, modulus 11 (総務省 rule).

    13101 → 6 (千代田区 131016), 01100 → 2 (札幌市 011002).
    """
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def validate_municipality_code(value: str) -> None:
    if not (isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()):
        raise ValidationError(_("団体コードは6桁の数字で入力してください。"), code="format")
    if not 1 <= int(value[:2]) <= 47:
        raise ValidationError(_("団体コードの先頭2桁（都道府県コード）は01〜47です。"), code="prefecture")
    if municipality_check_digit(value[:5]) != int(value[5]):
        raise ValidationError(
            _("団体コード %(code)s の検査数字が正しくありません（正しくは %(digit)s）。"),
            code="check_digit",
            params={"code": value, "digit": municipality_check_digit(value[:5])},
        )
