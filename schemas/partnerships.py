"""``partnerships``: coordination agreements between a programme owner and organisations."""

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import Envelope, LangText, Text
from .errors import fail
from .fields import Code, Day, Ref, Url


class PartnershipSchema(Envelope):
    title = LangText(required=True, max_length=500)
    type = Code("partnership-types", required=True)
    programme = Ref(kinds=("programmes",))
    owner = Ref(kinds=("organisations", "programmes"), required=True)
    partners = fields.List(Ref(kinds=("organisations",)), required=True, validate=validate.Length(1, 100))
    signed_on = Day()
    ends_on = Day()
    document = Text(max_length=100)
    scope = LangText(max_length=5000)
    url = Url()

    @validates_schema
    def dates(self, data: dict[str, Any], **_: object) -> None:
        if data.get("signed_on") and data.get("ends_on") and data["ends_on"] < data["signed_on"]:
            raise ValidationError({"ends_on": [fail("date_order", "Ends before it was signed.").messages[0]]})
