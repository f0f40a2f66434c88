"""``products``: OVOP products and services with category, certifications and origin."""

from marshmallow import fields, validate

from .base import Category, Coordinates, Envelope, LangText, Money, Place, Text
from .certifications import Certification
from .fields import GTIN, HSCode, Ref, Url


class ProductSchema(Envelope):
    name = LangText(required=True, max_length=300)
    description = LangText(max_length=10000)
    type = fields.String(validate=validate.OneOf(["product", "service"]))
    programme = Ref(kinds=("programmes",))
    producer = Ref(kinds=("producers",))
    category = fields.Nested(Category, required=True)
    certifications = fields.List(fields.Nested(Certification), validate=validate.Length(max=20))
    origin = fields.Nested(Place)
    coordinates = fields.Nested(Coordinates)
    gtin = GTIN()
    hs_code = HSCode()
    price = fields.Nested(Money)
    package = Text(max_length=100)
    images = fields.List(Url(), validate=validate.Length(max=20))
    url = Url()
