"""``indicators``: programme statistics, one value for an area and a period."""

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from . import codelists
from .base import Envelope, LangText, Strict, Text
from .errors import fail
from .fields import Amount, Code, Currency, Day, Ref


class IndicatorPeriod(Strict):
    """An unambiguous period: Thai fiscal years are converted to dates at the edge."""

    start = Day(required=True)
    end = Day(required=True)
    label = Text(max_length=50)


class IndicatorSchema(Envelope):
    indicator = Code("indicators", required=True)
    programme = Ref(kinds=("programmes",))
    area = fields.String(required=True)
    place = Text(max_length=300)
    period = fields.Nested(IndicatorPeriod, required=True)
    value = Amount(required=True)
    unit = Code("units", required=True)
    currency = Currency()
    breakdown = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 40)), values=fields.String(validate=validate.Length(1, 100))
    )
    source = LangText(max_length=500)

    @validates_schema
    def consistent(self, data: dict[str, Any], **_: Any) -> None:
        period = data.get("period") or {}
        if period.get("start") and period.get("end") and period["end"] < period["start"]:
            raise ValidationError({"period.end": [fail("date_order", "Ends before it starts.").messages[0]]})
        if data.get("unit") == "currency" and not data.get("currency"):
            raise ValidationError({"currency": [fail("required", "A money value needs its currency.").messages[0]]})
        expected = (codelists.item("indicators", data.get("indicator", "")) or {}).get("unit")
        if expected and data.get("unit") and expected != data["unit"]:
            raise ValidationError(
                {"unit": [fail("unit", f"{data['indicator']} is measured in '{expected}'.").messages[0]]}
            )
