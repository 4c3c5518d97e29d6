"""The batching desk reads a position's body with a plain twin of the API's ``PositionIn``: for
every JSON object the two accept and refuse the same, and accept it as the same values."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from concord.api.batched import plain_position_in
from concord.api.schemas import PositionIn

FIELDS = ["state", "kind", "statement", "paragraph", "grounds"]
KINDS = ["break", "statement", "footnote", "approve", "object", "join", "Statement", ""]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["FRA", "fra", " DEU", "objection", "amendment", "1", "2.0", *KINDS]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)
bodies = st.dictionaries(st.sampled_from([*FIELDS, "extra", "id"]), json_values, max_size=7)


def judge(model: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return model.model_validate(data).model_dump()
    except ValidationError:
        return None


@settings(max_examples=600)
@given(bodies)
def test_the_twin_judges_every_body_as_the_api_does(data):
    assert judge(plain_position_in(), data) == judge(PositionIn, data)


@given(
    st.fixed_dictionaries(
        {"state": st.sampled_from(["FRA", "DEU"]), "kind": st.sampled_from(KINDS[:6])},
        optional={
            "statement": st.text(max_size=30),
            "paragraph": st.one_of(st.none(), st.integers(0, 100001)),
            "grounds": st.sampled_from(["", "objection", "amendment", "other"]),
        },
    )
)
def test_the_twin_judges_well_formed_positions_as_the_api_does(data):
    assert judge(plain_position_in(), data) == judge(PositionIn, data)


def test_the_twin_has_the_apis_fields_and_settings():
    twin = plain_position_in()
    assert list(twin.model_fields) == list(PositionIn.model_fields)
    for name, field in PositionIn.model_fields.items():
        assert twin.model_fields[name].annotation == field.annotation
        assert twin.model_fields[name].metadata == field.metadata
        assert twin.model_fields[name].default == field.default
    assert dict(twin.model_config) == dict(PositionIn.model_config)
