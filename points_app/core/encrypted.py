"""Model attributes that are encrypted at rest, with a keyed hash beside them for lookup.

``phone = encrypted_field("households.phone")`` on a model with the columns
``phone_encrypted`` and ``phone_hash`` gives an attribute that reads and assigns plain
text as before (``household.phone = "13905741234"``, ``Household(phone=...)``) and,
in queries, compares by hash: ``select(Household).where(Household.phone == number)``
becomes ``WHERE phone_hash = <HMAC of number>``. Only exact comparisons exist (``==``,
``!=``, ``in_``, ``is_(None)``); a LIKE on an encrypted column cannot be asked for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.hybrid import Comparator, hybrid_property
from sqlalchemy.sql import operators

from points_app.core.crypto import keyring

# "table.name" of every encrypted attribute, for `flask rotate-key`.
ENCRYPTED_COLUMNS: list[str] = []


class HashComparator(Comparator[str | None]):
    """Compare an encrypted attribute by the keyed hash of the value it is compared with."""

    def __init__(self, hash_column: Any, column: str):
        super().__init__(hash_column)
        self.hash_column = hash_column
        self.column = column

    def _hash(self, value: Any) -> str | None:
        return keyring().lookup_hash(None if value is None else str(value), self.column)

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
        if op is operators.eq:
            if other[0] is None:
                return self.hash_column.is_(None)
            return self.hash_column == self._hash(other[0])
        if op is operators.ne:
            if other[0] is None:
                return self.hash_column.is_not(None)
            return self.hash_column != self._hash(other[0])
        if op is operators.in_op:
            return self.hash_column.in_([self._hash(v) for v in other[0]])
        if op in (operators.is_, operators.is_not) and other[0] is None:
            return op(self.hash_column, None)
        raise TypeError(f"{self.column} is encrypted: only exact comparisons are possible")


def encrypted_field(column: str) -> hybrid_property[str | None]:
    """An attribute stored encrypted in ``<name>_encrypted`` and hashed in ``<name>_hash``."""
    name = column.rsplit(".", 1)[-1]
    if column not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append(column)
    stored, hashed = f"{name}_encrypted", f"{name}_hash"

    def fget(self: Any) -> str | None:
        return keyring().decrypt(getattr(self, stored), column)

    def fset(self: Any, value: str | None) -> None:
        ring = keyring()
        setattr(self, stored, ring.encrypt(value, column))
        setattr(self, hashed, ring.lookup_hash(value, column))

    prop: hybrid_property[str | None] = hybrid_property(fget, fset)

    def compare(cls: Any) -> HashComparator:
        return HashComparator(getattr(cls, hashed), column)

    return prop.comparator(compare)
