"""``activities``: competitions, trade fairs, trainings, workshops, forums, study tours."""

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import Envelope, LangText, Place
from .errors import fail
from .fields import Code, Day, Ref, Url


class ActivitySchema(Envelope):
    type = Code("activity-types", required=True)
    name = LangText(required=True, max_length=300)
    description = LangText(max_length=10000)
    programme = Ref(kinds=("programmes",))
    organisers = fields.List(Ref(kinds=("organisations",)), validate=validate.Length(max=50))
    starts_on = Day(required=True)
    ends_on = Day()
    location = fields.Nested(Place)
    participants = fields.Integer(strict=True, validate=validate.Range(min=0))
    url = Url()

    @validates_schema
    def dates(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError({"ends_on": [fail("date_order", "Ends before it starts.").messages[0]]})
