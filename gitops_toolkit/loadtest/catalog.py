"""What Online Boutique sells and shows: its 9 product IDs and the currencies its frontend offers."""

from __future__ import annotations

PRODUCTS = (
    "0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
    "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z",
)  # fmt: skip
CURRENCIES = ("EUR", "USD", "JPY", "CAD", "GBP", "TRY")
