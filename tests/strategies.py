"""Hypothesis strategies read off the wire's pydantic models: for every request model, dicts
that are mostly valid (so handlers run past validation) with hostile values mixed in (wrong
types, boundary lengths, extra and missing fields, deep nesting).

The walk follows each field's annotation, so a new field or model is fuzzed without
touching this file.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from annotated_types import MaxLen, MinLen
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

SNOWFLAKES = st.sampled_from(["0", "1", "700000000000000001", "99999999999999999999"])

# Any JSON value, nested up to a few levels
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def deeply_nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE: st.SearchStrategy[Any] = st.one_of(
    JSON,
    st.text(min_size=2000, max_size=5000),
    st.integers(min_value=60, max_value=400).map(deeply_nested),
    st.sampled_from(["", "\x00", "\ud7ff" * 3, "-1", "1e309", "NaN", " " * 50]),
)


def _length_bounds(metadata: list[Any]) -> tuple[int, int | None]:
    low, high = 0, None
    for constraint in metadata:
        if isinstance(constraint, MinLen):
            low = constraint.min_length
        elif isinstance(constraint, MaxLen):
            high = constraint.max_length
    return low, high


def for_annotation(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """Values of the annotated type, near its bounds."""
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return for_annotation(arguments[0], [*metadata, *arguments[1:]])
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(for_annotation(arg, metadata) for arg in arguments))
    if origin is typing.Literal:
        return st.sampled_from(arguments)
    if origin is list:
        low, high = _length_bounds(metadata)
        return st.lists(
            for_annotation(arguments[0], []), min_size=low, max_size=min(high or 6, 6) + 1
        )
    if annotation is type(None):
        return st.none()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(min_value=-2, max_value=2**63)
    if annotation is str:
        if any(getattr(item, "pattern", None) for item in metadata):
            return SNOWFLAKES | st.from_regex(r"[0-9a-z]{0,22}", fullmatch=True)
        low, high = _length_bounds(metadata)
        return st.text(min_size=max(0, low - 1), max_size=(high or 60) + 1)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from([member.value for member in annotation])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return payloads(annotation)
    return JSON


def _field(info: FieldInfo) -> st.SearchStrategy[Any]:
    return for_annotation(info.annotation, list(info.metadata))


def payloads(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts shaped like `model`: each field valid, hostile or absent; sometimes an extra."""
    fields = {name: st.one_of(_field(info), HOSTILE) for name, info in model.model_fields.items()}
    mostly_valid = {
        name: st.one_of(_field(info), _field(info), _field(info), HOSTILE)
        for name, info in model.model_fields.items()
    }
    return st.one_of(
        st.fixed_dictionaries({}, optional=fields),
        st.fixed_dictionaries(
            {name: value for name, value in mostly_valid.items()},
            optional={"colour": JSON},
        ),
    )
