"""Kubernetes resource quantities ("500m", "1Gi", "1e3") as the API server reads them."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Quantity suffixes and the power of ten (or two) they stand for.
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal(10**3)}
_DECIMAL |= {"M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18)}
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[a-zA-Z]*)")


def quantity(value: object) -> Decimal | None:
    """The value of a resource quantity ("500m", "1Gi", "1e3", 2), or None when the API server rejects it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.fullmatch(str(value))
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        base = Decimal(number)
        if suffix[:1] in ("e", "E"):
            return base * Decimal(10) ** int(suffix[1:])
    except InvalidOperation:
        return None
    if suffix in _BINARY:
        return base * _BINARY[suffix]
    return base * _DECIMAL[suffix] if suffix in _DECIMAL else None
