"""Forms generated from the catalogue's field list, validated as the citizen types.

A :class:`FormState` holds values and per-field errors; :func:`validate_field` returns a string
key (translated by the caller) or None. Errors are shown only for fields the citizen touched, so
an empty form does not open in red.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.catalogue import FormField

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def validate_field(spec: FormField, value: str) -> str | None:
    value = value.strip()
    if not value:
        return "form.error.required" if spec.required else None
    if len(value) > spec.max_length:
        return "form.error.too_long"
    if spec.type == "phone" and not _PHONE.match(value):
        return "form.error.phone"
    if spec.type == "number":
        try:
            number = float(value)
        except ValueError:
            return "form.error.number"
        if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
            return "form.error.range"
    if spec.type == "select" and value not in spec.options:
        return "form.error.choose"
    if spec.type == "month":
        m = _MONTH.match(value)
        if not m or not 1 <= int(m.group(2)) <= 12:
            return "form.error.month"
    if spec.type == "date":
        m = _DATE.match(value)
        try:
            if not m:
                raise ValueError
            date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return "form.error.date"
    if spec.type == "id_number":
        from common.identity import validate_id_number

        if validate_id_number(value.upper()):
            return "form.error.id_number"
    return None


@dataclass
class FormState:
    fields: tuple[FormField, ...]
    values: dict[str, str] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)

    def set(self, key: str, value: str) -> None:
        if any(f.key == key for f in self.fields):
            self.values[key] = value
            self.touched.add(key)

    def errors(self, *, all_fields: bool = False) -> dict[str, str]:
        result = {}
        for spec in self.fields:
            if all_fields or spec.key in self.touched:
                error = validate_field(spec, self.values.get(spec.key, ""))
                if error:
                    result[spec.key] = error
        return result

    def valid(self) -> bool:
        return not self.errors(all_fields=True)

    def view(self, tr: Any, pick: Any, shown: Any) -> list[dict[str, Any]]:
        """The fields as the form page draws them; ``shown(chinese, english)`` gives catalogue text
        in the session's language (the Chinese with its note where the English is missing). A
        choice's ``value`` stays the catalogue's Chinese: that is what the platform's record carries."""
        errors = self.errors()
        return [{"key": f.key, "label": pick(f.label, f.label_en), "type": f.type, "required": f.required,
                 "options": [{"value": o, "label": option_label(f, o, shown)} for o in f.options],
                 "value": self.values.get(f.key, ""),
                 "error": tr(errors[f.key]) if f.key in errors else ""} for f in self.fields]


def option_label(spec: FormField, value: str, shown: Any) -> str:
    """A choice of a select field as the citizen reads it (``options_en`` by position)."""
    if value not in spec.options:
        return value
    index = spec.options.index(value)
    english = spec.options_en[index] if index < len(spec.options_en) else ""
    return str(shown(value, english))
