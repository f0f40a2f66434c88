"""``organisations``: the partner network of a programme."""

from marshmallow import fields, validate

from .base import Envelope, LangText, Place, coded_list
from .fields import Code, Ref, Url


class OrganisationSchema(Envelope):
    name = LangText(required=True, max_length=300)
    short_name = fields.String(validate=validate.Length(1, 30))
    type = Code("organisation-types", required=True)
    services = coded_list("organisation-services")
    description = LangText(max_length=5000)
    location = fields.Nested(Place)
    parent = Ref(kinds=("organisations",))
    programmes = fields.List(Ref(kinds=("programmes",)), validate=validate.Length(max=20))
    website = Url()
