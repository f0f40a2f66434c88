"""``programmes``: a national OVOP-style programme."""

from marshmallow import fields, validate

from .base import Envelope, LangText, LegalAct, Strict, Text
from .fields import Code, Day, Ref, Url


class Period(Strict):
    """A phase of the programme, e.g. 2021-2025 under Decision 919/QĐ-TTg."""

    starts_on = Day(required=True)
    ends_on = Day()
    legal_basis = Text(max_length=100)


class ProgrammeSchema(Envelope):
    name = LangText(required=True, max_length=300)
    short_name = fields.String(validate=validate.Length(1, 30))
    description = LangText(max_length=5000)
    managing_agency = LangText(required=True, max_length=300)
    managing_organisation = Ref(kinds=("organisations",))
    legal_basis = fields.List(fields.Nested(LegalAct), validate=validate.Length(max=50))
    phases = fields.List(fields.Nested(Period), validate=validate.Length(max=20))
    rating_schemes = fields.List(Code("rating-schemes"), validate=validate.Length(max=10))
    category_schemes = fields.List(fields.String(validate=validate.Length(1, 40)), validate=validate.Length(max=10))
    started_on = Day()
    website = Url()
