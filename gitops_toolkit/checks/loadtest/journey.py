"""The shopper's journey, as Online Boutique's own load generator walks it (the same tasks and weights: home,
currency, products, cart, checkout), as a Locust user. Imported only inside `invoke loadtest`'s own process:
importing Locust patches the standard library for gevent."""

from __future__ import annotations

import random

from locust import FastHttpUser, between, task

from gitops_toolkit.checks.loadtest.catalog import CURRENCIES, ORDER_CONFIRMED, PRODUCTS, checkout_form


class Shopper(FastHttpUser):
    """Task weights of the upstream load generator; shorter waits, so that a short run still says something."""

    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        """Each shopper first walks the whole journey once (home, currency, a product, cart, checkout), so that
        even a short run exercises every step; then the weighted tasks."""
        self.index()
        self.set_currency()
        self.view_cart()
        self.checkout()

    @task(1)
    def index(self) -> None:
        self.client.get("/")

    @task(2)
    def set_currency(self) -> None:
        self.client.post("/setCurrency", data={"currency_code": random.choice(CURRENCIES)})

    @task(10)
    def browse_product(self) -> None:
        self.client.get(f"/product/{random.choice(PRODUCTS)}", name="/product/[id]")

    @task(2)
    def add_to_cart(self) -> None:
        product = random.choice(PRODUCTS)
        self.client.get(f"/product/{product}", name="/product/[id]")
        self.client.post("/cart", data={"product_id": product, "quantity": str(random.randint(1, 10))})

    @task(3)
    def view_cart(self) -> None:
        self.client.get("/cart")

    @task(1)
    def checkout(self) -> None:
        self.add_to_cart()
        with self.client.post("/cart/checkout", data=checkout_form(), catch_response=True) as response:
            if response.status_code == 200 and ORDER_CONFIRMED not in response.text.lower():
                response.failure("checkout answered 200 without an order confirmation")
