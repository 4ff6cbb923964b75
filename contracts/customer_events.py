"""Events of the Customer aggregate (stream ``customers``), contract version 1.0.

``name``, ``email`` and ``phone`` are field-encryption envelopes under the customer's key (a name
registered before names were sealed is plain text); support searches the summary view's
``searchName``, which the projector opens from the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from contracts.payload import CUSTOMERS_STREAM, EventPayload


@dataclass(frozen=True)
class CustomerRegistered(EventPayload):
    EVENT_TYPE: ClassVar[str] = "CustomerRegistered"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    name: str
    email: str
    phone: str | None
    credit_limit: int
    currency: str


@dataclass(frozen=True)
class CreditLimitChanged(EventPayload):
    EVENT_TYPE: ClassVar[str] = "CreditLimitChanged"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    credit_limit: int
    currency: str


@dataclass(frozen=True)
class CreditReserved(EventPayload):
    EVENT_TYPE: ClassVar[str] = "CreditReserved"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    order_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class CreditReleased(EventPayload):
    EVENT_TYPE: ClassVar[str] = "CreditReleased"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    order_id: str
    amount: int


@dataclass(frozen=True)
class CreditSettled(EventPayload):
    EVENT_TYPE: ClassVar[str] = "CreditSettled"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    order_id: str
    amount: int


@dataclass(frozen=True)
class CustomerProfileChanged(EventPayload):
    """The whole profile after the change (so a newer event always wins, in any order):
    envelopes under the customer's key, like at registration."""

    EVENT_TYPE: ClassVar[str] = "CustomerProfileChanged"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    name: str
    email: str
    phone: str | None


@dataclass(frozen=True)
class CustomerErased(EventPayload):
    """The customer's field key was destroyed (crypto-shredding): every envelope sealed under
    it is unreadable for good, and views mask their profile. Carries no personal data, only
    the key it destroyed (``keyName``), so an auditor can match it to the key store."""

    EVENT_TYPE: ClassVar[str] = "CustomerErased"
    STREAM: ClassVar[str] = CUSTOMERS_STREAM

    key_name: str
