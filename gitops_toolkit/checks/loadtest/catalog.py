"""What Online Boutique sells and shows (its 9 product IDs, the currencies its frontend offers) and what a
shopper types at checkout. Shared by the load test and the smoke test's journey; imports nothing heavy."""

from __future__ import annotations

import datetime
import random

PRODUCTS = (
    "0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
    "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z",
)  # fmt: skip
CURRENCIES = ("EUR", "USD", "JPY", "CAD", "GBP", "TRY")

TEST_CARD = "4432801561520454"  # a VISA number that passes the Luhn check; paymentservice accepts it
ORDER_CONFIRMED = "your order is complete"  # the confirmation page's heading, lower-cased


def checkout_form() -> dict[str, str]:
    return {
        "email": "someone@example.com",
        "street_address": "1600 Amphitheatre Parkway",
        "zip_code": "94043",
        "city": "Mountain View",
        "state": "CA",
        "country": "United States",
        "credit_card_number": TEST_CARD,
        "credit_card_expiration_month": str(random.randint(1, 12)),
        "credit_card_expiration_year": str(datetime.date.today().year + 1),
        "credit_card_cvv": f"{random.randint(100, 999)}",
    }
