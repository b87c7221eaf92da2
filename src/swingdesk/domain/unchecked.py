"""The one place that builds a pydantic model without running its validators.

pydantic's supported ``model_construct`` does the same but costs about three times what
validation does, and validation itself (about 6 us more per risk verdict, mostly the tuple of
checks) would take the risk desk past its 25 us budget. So the hot paths (``Event.trusted``,
``MarketSnapshot.trusted``) build through ``build_unchecked``, and
``tests/unit/domain/test_unchecked.py`` proves it builds what ``model_construct`` builds for
the same values, so a pydantic upgrade that changes a model's layout fails there first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_object_setattr = object.__setattr__


def build_unchecked(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """Return a ``cls`` holding ``values`` (every field, in declaration order) as they are.

    Only for values that already pass every validator of ``cls``; ``fields_set`` names the
    fields the caller gave (the rest are defaults), as the validating constructor records.
    """
    model = cls.__new__(cls)
    _object_setattr(model, "__dict__", values)
    _object_setattr(model, "__pydantic_fields_set__", fields_set)
    _object_setattr(model, "__pydantic_extra__", None)
    _object_setattr(model, "__pydantic_private__", None)
    return model
