"""The smoke test's entry checks: the shop answers through the shared Gateway, and one shopper walks the
journey Online Boutique's load generator walks (home, currency, a product, add to cart, cart, checkout with
the test card, the order confirmation), with the frontend's redirects followed and its cookies kept."""

from __future__ import annotations

import random
from collections.abc import Callable

import requests

from gitops_toolkit.checks.loadtest.catalog import CURRENCIES, ORDER_CONFIRMED, PRODUCTS, checkout_form
from gitops_toolkit.checks.smoke.result import CheckResult, timed

REQUEST_SECONDS = 15


def _step(session: requests.Session, method: str, url: str, expect: str = "", **form: str) -> Callable[[], str]:
    """One request; what went wrong with it ("" when the page came back as the frontend answers it)."""

    def walk() -> str:
        try:
            response = session.request(method, url, data=form or None, timeout=REQUEST_SECONDS)
        except requests.RequestException as error:
            return f"{method} {url}: {type(error).__name__}: {error}"
        if response.status_code != 200:
            return f"{method} {url} answered {response.status_code}"
        if expect and expect not in response.text.lower():
            return f"{method} {url} answered 200 without {expect!r}"
        return ""

    return walk


def entry_checks(url: str, shop: str) -> list[CheckResult]:
    base = url.rstrip("/")
    session = requests.Session()
    session.headers["Referer"] = f"{base}/"  # /setCurrency redirects back to it, as from a browser
    product = random.choice(PRODUCTS)
    home = _step(session, "GET", f"{base}/", "/product/")
    journey = [
        ("home page", home),
        ("set currency", _step(session, "POST", f"{base}/setCurrency", currency_code=random.choice(CURRENCIES))),
        ("product page", _step(session, "GET", f"{base}/product/{product}")),
        ("add to cart", _step(session, "POST", f"{base}/cart", product_id=product, quantity="1")),
        ("view cart", _step(session, "GET", f"{base}/cart")),
        ("checkout", _step(session, "POST", f"{base}/cart/checkout", ORDER_CONFIRMED, **checkout_form())),
    ]

    def walk_journey() -> list[str]:
        for name, step in journey:
            if problem := step():
                return [f"{name}: {problem}"]
        return []

    with session:
        return [
            timed(
                "ENTRY-GATEWAY-ANSWERS",
                f"{base}/ answers through the Gateway",
                "check the Gateway's address (`kubectl -n envoy-gateway-system get gateway`), MetalLB's pool, "
                "your DNS for the shop's host name and the HTTPRoute's status",
                lambda: [problem] if (problem := home()) else [],
            ),
            timed(
                "ENTRY-SHOPPER-JOURNEY",
                "home, currency, product, cart, checkout and order confirmation all answered",
                f"the failing step names the page: `kubectl -n {shop} logs deploy/frontend`, then the "
                "service behind it (checkout: checkoutservice, paymentservice, emailservice)",
                walk_journey,
            ),
        ]
