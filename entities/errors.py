"""Domain errors: values with a stable ``code`` and a message a client may be shown.

Errors cross Durable orchestration history as JSON, so each one round-trips through a plain dict
(``to_dict`` / ``DomainError.from_dict``). Messages never contain secrets or decrypted values; they
name fields and ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

DetailValue = str | int

_REGISTRY: dict[str, type[DomainError]] = {}


class DomainError(Exception):
    """Base of every error a user can cause; ``code`` is the stable, machine-readable name."""

    code: str = "DomainError"
    default_message: ClassVar[str] = "The command was rejected."

    def __init__(
        self, message: str | None = None, *, details: Mapping[str, DetailValue] | None = None
    ) -> None:
        self.message = message or self.default_message
        self.details: dict[str, DetailValue] = dict(details or {})
        super().__init__(self.message)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = cls.__name__
        _REGISTRY[cls.code] = cls

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DomainError):
            return NotImplemented
        return (self.code, self.message, self.details) == (other.code, other.message, other.details)

    def __hash__(self) -> int:
        return hash((self.code, self.message))

    def to_dict(self) -> dict[str, Any]:
        """The wire form: ``{"code", "message"}`` plus ``details`` when there are any."""
        wire: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            wire["details"] = dict(self.details)
        return wire

    @staticmethod
    def from_dict(wire: Mapping[str, Any]) -> DomainError:
        """Rebuild the error a dict describes; an unknown code keeps its code on a base error."""
        code = wire.get("code")
        message = wire.get("message")
        if not isinstance(code, str) or not isinstance(message, str):
            raise ValueError("a domain error needs string 'code' and 'message' fields")
        raw_details = wire.get("details") or {}
        if not isinstance(raw_details, Mapping):
            raise ValueError("a domain error's 'details' must be an object")
        details = {str(k): v for k, v in raw_details.items() if isinstance(v, str | int)}
        error_type = _REGISTRY.get(code)
        if error_type is None:
            error = DomainError(message, details=details)
            error.code = code
            return error
        return error_type(message, details=details)


def error_codes() -> frozenset[str]:
    """Every code this module defines, for mapping tables and tests."""
    return frozenset(_REGISTRY)


class ValidationFailed(DomainError):
    """The command's content breaks a rule (shape, range, size)."""

    default_message: ClassVar[str] = "The command is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> None:
        merged = dict(details or {})
        if field is not None:
            merged["field"] = field
        super().__init__(message, details=merged)

    @property
    def field(self) -> str | None:
        value = self.details.get("field")
        return value if isinstance(value, str) else None


class Forbidden(DomainError):
    """The caller's roles never allow this operation."""

    default_message: ClassVar[str] = "You are not allowed to do this."


class IdempotencyKeyReused(DomainError):
    """A command id that was already used for a different operation or by another caller."""

    default_message: ClassVar[str] = "This command id was already used for a different command."


class OrderNotFound(DomainError):
    """No such order, or one the caller may not know about (answered as 404, not 403)."""

    default_message: ClassVar[str] = "The order was not found."


class OrderAlreadyExists(DomainError):
    """An order with this id was already placed."""

    default_message: ClassVar[str] = "An order with this id already exists."


class CustomerNotFound(DomainError):
    """No such customer, or one the caller may not know about."""

    default_message: ClassVar[str] = "The customer was not found."


class CustomerAlreadyExists(DomainError):
    """A customer with this id is already registered."""

    default_message: ClassVar[str] = "A customer with this id is already registered."


class OrderAlreadyShipped(DomainError):
    """The order left the warehouse; it can no longer be changed or cancelled."""

    default_message: ClassVar[str] = "The order has already been shipped."


class OrderCancelled(DomainError):
    """The order was cancelled; nothing more can happen to it."""

    default_message: ClassVar[str] = "The order has been cancelled."


class InvalidTransition(DomainError):
    """The operation does not apply to the aggregate's current state."""

    default_message: ClassVar[str] = "This operation is not possible in the current state."


class VersionConflict(DomainError):
    """``expectedVersion`` did not match the aggregate's current version."""

    default_message: ClassVar[str] = "The resource was changed by someone else; reload and retry."


class InsufficientStock(DomainError):
    """Reserving or removing stock would oversell a SKU."""

    default_message: ClassVar[str] = "There is not enough stock."


class CreditLimitExceeded(DomainError):
    """Reserving credit would take the customer's open balance over their limit."""

    default_message: ClassVar[str] = "The order exceeds the customer's available credit."


class StockNotReserved(DomainError):
    """A release or commit asked for more units than the SKU holds reserved: the counts
    disagree with the order (an operator must reconcile them; see the docs)."""

    default_message: ClassVar[str] = "The stock this order holds is not reserved any more."


class CreditNotReserved(DomainError):
    """A release or settlement asked for more credit than the customer holds reserved."""

    default_message: ClassVar[str] = "The credit this order holds is not reserved any more."


class ProductNotFound(DomainError):
    """The SKU has no catalog price, so it cannot be ordered."""

    default_message: ClassVar[str] = "This product is not in the catalog."


class PriceChanged(DomainError):
    """The price the client showed is not the catalog's; ``details`` carry the current one."""

    default_message: ClassVar[str] = "The price of this product has changed."
