"""Configuration errors in the file's words: pydantic's ``ValidationError`` turned into
``devices.printer.paper_mm: expected one of 58, 80, got 70`` (the key as written in TOML, what is
allowed, what was found). Shared by the kiosk configuration and the hall layout (hall.toml).
"""

from __future__ import annotations

import typing
from typing import Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_LABELS = {"int": "a whole number", "float": "a number", "string": "text", "bool": "true or false",
           "model": "a table", "dict": "a table", "list": "a list"}


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "config"


def _model_at(model: type[BaseModel], path: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class of the table at ``path`` (None where the path leaves the models);
    an index (``services[1]``) steps into the list's item model."""
    current: object = model
    for part in path:
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if typing.get_origin(current) is list and args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            current = field.annotation if field is not None else None
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _allowed(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    parent = _model_at(model, loc[:-1])
    field = parent.model_fields.get(str(loc[-1])) if parent is not None and loc else None
    if field is None or typing.get_origin(field.annotation) is not Literal:
        return None
    return ", ".join(str(choice) for choice in typing.get_args(field.annotation))


def _describe(model: type[BaseModel], error: ErrorDetails) -> str:
    loc, kind, ctx = tuple(error["loc"]), error["type"], error.get("ctx", {})
    got = error.get("input")
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        known = ", ".join(sorted(parent.model_fields)) if parent is not None else "?"
        return f"unknown key (known: {known})"
    if kind == "literal_error":
        return f"expected one of {_allowed(model, loc) or ctx.get('expected')}, got {got!r}"
    if kind.endswith(("_type", "_parsing", "_from_float")) and kind.split("_")[0] in _LABELS:
        shown = type(got).__name__ if isinstance(got, dict | list) else repr(got)
        return f"expected {_LABELS[kind.split('_')[0]]}, got {shown}"
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        if kind == "greater_than_equal" and limit == 0:
            return f"must not be negative, got {got!r}"
        return f"must be {'at least' if kind == 'greater_than_equal' else 'more than'} {limit}, got {got!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def validation_text(model: type[BaseModel], exc: ValidationError) -> str:
    """Every error of ``exc`` as ``key: what was expected, got what``, joined by "; "."""
    return "; ".join(f"{_key(tuple(e['loc']))}: {_describe(model, e)}" for e in exc.errors())
