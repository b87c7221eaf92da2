"""Settings validation errors as one line an operator can act on: each variable and why.

pydantic's own text spans several lines per error, names the field rather than the
environment variable, and repeats the value, which may be a secret; this names the variable
(its first alias, else ``SWINGDESK_<FIELD>``) and the reason, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError
from pydantic.fields import FieldInfo


def describe(exc: ValueError, fields: Mapping[str, FieldInfo]) -> str:
    """Return the problems in ``exc`` as one line: ``VARIABLE: reason; ...``."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    return "; ".join(_problem(e["loc"], e["msg"], fields) for e in exc.errors())


def env_name(name: str, field: FieldInfo) -> str:
    """Return the environment variable that sets the field ``name``."""
    choices = getattr(field.validation_alias, "choices", None)
    return str(choices[0]) if choices else f"SWINGDESK_{name.upper()}"


def _problem(loc: tuple[int | str, ...], msg: str, fields: Mapping[str, FieldInfo]) -> str:
    reason = msg.removeprefix("Value error, ")
    name = str(loc[0]) if loc else ""
    field = fields.get(name)
    return f"{env_name(name, field)}: {reason}" if field is not None else reason
