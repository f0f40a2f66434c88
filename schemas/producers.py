"""``producers``: OVOP entities (cooperatives, enterprises, household businesses...)."""

from marshmallow import fields, validate

from .base import Envelope, LangText, Place, Text
from .fields import Code, Ref, Url


class ProducerSchema(Envelope):
    name = LangText(required=True, max_length=300)
    type = Code("producer-types", required=True)
    registration_no = Text(max_length=50)
    location = fields.Nested(Place)
    programmes = fields.List(Ref(kinds=("programmes",)), validate=validate.Length(max=20))
    established_year = fields.Integer(strict=True, validate=validate.Range(1800, 2100))
    members = fields.Integer(strict=True, validate=validate.Range(min=1))
    women_led = fields.Boolean()
    description = LangText(max_length=5000)
    website = Url()
