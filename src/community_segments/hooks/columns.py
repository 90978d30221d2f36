"""Built-in provider for any Flask-SQLAlchemy host: one field per plain column of the member model."""

from __future__ import annotations

import sqlalchemy as sa

from ..fields import FieldType, FilterField
from . import hookimpl

SECRET = ("password", "token", "secret", "hash", "salt")


def field_type(column_type) -> FieldType | None:
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return None
    if python_type is bool:
        return FieldType.BOOLEAN
    if python_type in (int, float) or isinstance(column_type, sa.Numeric):
        return FieldType.NUMBER
    if isinstance(column_type, sa.Date | sa.DateTime) or python_type.__name__ in ("date", "datetime"):
        return FieldType.DATE
    if python_type is str:
        return FieldType.TEXT
    return None


class ColumnFields:
    """Offers every readable column of ``host.user_model`` (ids and secrets left out).

    Registered only by ``Segments(column_fields=True)``, so it answers whatever the
    host's name (a generic host may pick its own ``host_name``).
    """

    __name__ = "community_segments.columns"

    @hookimpl
    def segments_filter_fields(self, host):
        mapper = sa.inspect(host.user_model)
        fields = []
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            kind = field_type(column.type)
            if (kind is None or column.primary_key or column.foreign_keys
                    or any(word in attr.key.lower() for word in SECRET)):
                continue
            fields.append(FilterField(key=attr.key, label=attr.key.replace("_", " ").capitalize(),
                                      type=kind, column=getattr(host.user_model, attr.key)))
        return fields


columns_plugin = ColumnFields()
