"""A stand-in for Online Boutique's frontend on 127.0.0.1, answering the routes the shopper journey walks as the
frontend does (status codes, redirects, cookies, form validation): `/`, `/product/{id}` (500 for an unknown
product), `/cart` (GET; POST 302 to /cart), `/cart/empty`, `/cart/checkout` (200 with the confirmation, 422
for a bad form), `/setCurrency` (302 to the Referer), `/_healthz`. With `failing_checkouts`, checkouts answer
500, as when paymentservice is down."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from gitops_toolkit.checks.loadtest.catalog import CURRENCIES, PRODUCTS

CHECKOUT_FIELDS = (
    "email", "street_address", "zip_code", "city", "state", "country", "credit_card_number",
    "credit_card_expiration_month", "credit_card_expiration_year", "credit_card_cvv",
)  # fmt: skip
SESSION = "shop_session-id"
TWO_DAYS = 172800


def _luhn(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return len(digits) >= 12 and checksum % 10 == 0


class Shop(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True

    def __init__(self, failing_checkouts: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Frontend)
        self.failing_checkouts = failing_checkouts
        self.carts: dict[str, int] = {}
        self.orders = 0
        self.lock = threading.Lock()


class _Frontend(BaseHTTPRequestHandler):
    server: Shop
    protocol_version = "HTTP/1.1"

    def log_message(self, *arguments: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _session(self) -> tuple[str, bool]:
        cookies = dict(part.strip().split("=", 1) for part in self.headers.get("Cookie", "").split(";") if "=" in part)
        return (cookies[SESSION], False) if SESSION in cookies else (str(uuid.uuid4()), True)

    def _answer(self, status: int, body: str = "", location: str = "", cookies: tuple[str, ...] = ()) -> None:
        session, new = self._session()
        data = body.encode()
        self.send_response(status)
        if new:
            self.send_header("Set-Cookie", f"{SESSION}={session}; Max-Age={TWO_DAYS}; Path=/")
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length", "0") or 0)
        fields = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        return {key: values[0] for key, values in fields.items()}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_healthz":
            self._answer(200, "ok")
        elif path == "/":
            self._answer(200, "<title>Online Boutique</title>" + "".join(f"<a href='/product/{p}'>" for p in PRODUCTS))
        elif path.startswith("/product/"):
            known = path.removeprefix("/product/") in PRODUCTS
            self._answer(200 if known else 500, "<h2>Product</h2>" if known else "product not found")
        elif path == "/cart":
            session, _ = self._session()
            self._answer(200, f"<h1>Cart</h1>{self.server.carts.get(session, 0)} item(s)")
        else:
            self._answer(404, "404 page not found")

    def do_POST(self) -> None:
        form = self._form()
        session, _ = self._session()
        if self.path == "/setCurrency":
            if form.get("currency_code") not in CURRENCIES:
                self._answer(422, "invalid currency")
            else:
                cookie = f"shop_currency={form['currency_code']}; Max-Age={TWO_DAYS}; Path=/"
                self._answer(302, location=self.headers.get("Referer") or "/", cookies=(cookie,))
        elif self.path == "/cart":
            quantity = form.get("quantity", "")
            if form.get("product_id") not in PRODUCTS or not quantity.isdigit() or not 1 <= int(quantity) <= 10:
                self._answer(422, "invalid product or quantity")
            else:
                with self.server.lock:
                    self.server.carts[session] = self.server.carts.get(session, 0) + int(quantity)
                self._answer(302, location="/cart")
        elif self.path == "/cart/empty":
            self.server.carts.pop(session, None)
            self._answer(302, location="/")
        elif self.path == "/cart/checkout":
            if any(not form.get(field) for field in CHECKOUT_FIELDS) or not _luhn(form["credit_card_number"]):
                self._answer(422, "invalid checkout form")
            elif self.server.failing_checkouts:
                self._answer(500, "failed to charge card: paymentservice unavailable")
            else:
                with self.server.lock:
                    self.server.carts.pop(session, None)
                    self.server.orders += 1
                self._answer(200, "<h3>Your order is complete!</h3>")
        else:
            self._answer(404, "404 page not found")


@contextlib.contextmanager
def stand_in_shop(failing_checkouts: bool = False) -> Iterator[Shop]:
    """The shop on a free port of 127.0.0.1, stopped (and its port freed) on exit."""
    shop = Shop(failing_checkouts)
    thread = threading.Thread(target=shop.serve_forever, daemon=True)
    thread.start()
    try:
        yield shop
    finally:
        shop.shutdown()
        shop.server_close()
        thread.join(timeout=10)
