"""The field registry: every field from every provider, keyed, and loud about clashes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from .errors import DuplicateFieldError
from .fields import FilterField
from .hooks import provider_results
from .host import Host


class FieldRegistry:
    def __init__(self, fields: Iterable[FilterField] = ()):
        self._fields: dict[str, FilterField] = {}
        #: plugin name -> why its hook failed; its fields are unavailable
        self.failures: dict[str, str] = {}
        for field in fields:
            self.add(field)

    @classmethod
    def from_plugins(cls, pm, host: Host) -> FieldRegistry:
        registry = cls()
        for provider, fields in provider_results(pm, "segments_filter_fields",
                                                 failures=registry.failures, host=host):
            for field in fields:
                if not isinstance(field, FilterField):
                    raise TypeError(f"plugin {provider!r} returned {field!r} from "
                                    "segments_filter_fields; return FilterField objects")
                registry.add(dataclasses.replace(field, provider=provider))
        return registry

    def add(self, field: FilterField) -> None:
        if not isinstance(field, FilterField):
            raise TypeError(f"{field!r} is not a FilterField")
        clash = self._fields.get(field.key)
        if clash is not None:
            raise DuplicateFieldError(
                f"Duplicate filter field {field.key!r}: provided by both "
                f"{clash.provider or '?'!r} and {field.provider or '?'!r}; "
                "uninstall one of them or rename the field")
        self._fields[field.key] = field

    def unknown(self, key: str) -> str:
        """Why ``key`` is not a field: unknown, or perhaps its plugin failed."""
        reason = f"unknown field {key!r}"
        if self.failures:
            reason += " (unavailable while " + "; ".join(
                f"plugin {name!r} is failing: {why}" for name, why in self.failures.items()) + ")"
        return reason

    def get(self, key: str) -> FilterField | None:
        return self._fields.get(key)

    def __getitem__(self, key: str) -> FilterField:
        return self._fields[key]

    def __contains__(self, key: str) -> bool:
        return key in self._fields

    def __iter__(self) -> Iterator[FilterField]:
        return iter(self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)
