"""DynamoDB items and plain Python values, both ways (numbers are decimals in DynamoDB)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from services.core.hourly import decimal_of

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(body: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item from plain values: floats become the decimal of their shortest repr."""
    return {k: _serializer.serialize(_decimals(v)) for k, v in body.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values from a low-level item: whole decimals become ints, the others floats."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return decimal_of(value)
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_decimals(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
