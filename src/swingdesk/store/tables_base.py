"""The schema's declarative base: stable constraint names, and the shared column lengths."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UUID_LEN = 36
#: Alpaca accepts client order ids up to 128 characters; orders placed elsewhere may use them.
CLIENT_ORDER_ID_LEN = 128
#: Broker symbols are longer than our tickers (options: ``AAPL240119C00150000``, crypto).
SYMBOL_LEN = 32


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)
