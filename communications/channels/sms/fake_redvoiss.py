"""A fake Redvoiss on loopback: the contract of REDVOISS.md, with switches for failures.

The demo and the end-to-end tests talk to this, never to the real provider.

    server = FakeRedvoiss(port=0, username="demo", password="demo").start()
    server.url            # http://127.0.0.1:<port>
    server.set(fail_500=2, slow_seconds=3)   # or POST /_admin/switches
    server.inject_reply("+56987654321", "BAJA")  # or POST /_admin/reply
    server.stop()

API endpoints need HTTP Basic auth; /_admin/* endpoints do not (loopback only).
Statuses progress with time: PENDIENTE, then ENVIADO after ``step_seconds``,
then RECIBIDO (or FALLIDO for numbers in ``fail_numbers``) after twice that.
"""

import base64
import hmac
import itertools
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SWITCHES = {
    "fail_500": 0,  # the next N API calls answer 500 (nothing is queued)
    "fail_429": 0,  # the next N API calls answer 429
    "slow_seconds": 0.0,  # every API call waits this long before answering (a send is queued first)
    "bad_credentials": False,  # every API call answers 401
    "reject_numbers": [],  # sends to these destinations answer 400 "número inválido"
    "fail_numbers": [],  # sends to these destinations end FALLIDO instead of RECIBIDO
    "malformed": False,  # API calls answer 200 with a body that is not JSON
    "step_seconds": None,  # overrides the server's status step
    "max_destinations": 0,  # when set, a send with more destinations answers 400
}
AUTO_REPLIES = ("¡Gracias! ¿Tienen hora el sábado?", "Me interesa, ¿hasta cuándo vale?", "Gracias, ahí nos vemos")


@dataclass
class Batch:
    batch_id: int
    created: float
    message: str
    destinations: list[str]
    commercial: bool
    with_reply: bool
    failing: set = field(default_factory=set)
    replies: list[dict] = field(default_factory=list)


def _digits(value: str) -> str:
    return "".join(c for c in str(value) if c.isdigit())


class FakeRedvoiss:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        username: str = "demo",
        password: str = "demo",
        step_seconds: float = 5.0,
        auto_reply_every: int = 0,
        clock=time.monotonic,
    ):
        self.username, self.password = username, password
        self.step_seconds = step_seconds
        self.auto_reply_every = auto_reply_every
        self.clock = clock
        self.lock = threading.Lock()
        self.batches: dict[int, Batch] = {}
        self.requests: list[dict] = []  # what clients sent, for tests to assert on
        # Accepted sends per idCliente (our Message id): >1 is a duplicate SMS, 0 a lost one.
        self.received: Counter = Counter()
        self.keep_requests = True  # benchmarks turn it off: only the counts are needed
        self.switches = json.loads(json.dumps(SWITCHES))
        self._ids = itertools.count(1001)
        self._reply_ids = itertools.count(1)
        self._reply_candidates = 0
        self.peers: set[tuple[str, int]] = set()  # client (host, port) pairs: one per TCP connection
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        # A client that hung up mid-answer (a timeout, a killed worker) is expected here, not news.
        self.httpd.handle_error = lambda request, address: log.debug("fake redvoiss: client went away")
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeRedvoiss":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fake-redvoiss", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- switches and injections ---------------------------------------------------
    def set(self, **switches) -> dict:
        with self.lock:
            for key, value in switches.items():
                if key not in SWITCHES:
                    raise KeyError(key)
                self.switches[key] = value
            return dict(self.switches)

    def reset(self) -> None:
        with self.lock:
            self.switches = json.loads(json.dumps(SWITCHES))
            self.batches.clear()
            self.requests.clear()
            self.received.clear()

    def inject_reply(self, destination: str, text: str, batch_id: int | None = None) -> dict:
        """A reply from ``destination``: to ``batch_id``, else to its latest reply-capable batch."""
        with self.lock:
            batch = self.batches.get(int(batch_id)) if batch_id else self._latest_batch_for(destination)
            if batch is None:
                raise LookupError("no reply-capable batch for that destination")
            return self._add_reply(batch, destination, text)

    def _latest_batch_for(self, destination: str) -> Batch | None:
        wanted = _digits(destination)
        for batch in sorted(self.batches.values(), key=lambda b: b.batch_id, reverse=True):
            if batch.with_reply and any(_digits(d) == wanted for d in batch.destinations):
                return batch
        return None

    def _add_reply(self, batch: Batch, destination: str, text: str) -> dict:
        reply = {
            "id": next(self._reply_ids),
            "destination": destination,
            "message": text,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        batch.replies.append(reply)
        return reply

    # --- the contract --------------------------------------------------------------
    def status_of(self, batch: Batch, destination: str) -> str:
        step = self.switches["step_seconds"] or self.step_seconds
        age = self.clock() - batch.created
        if age < step:
            return "PENDIENTE"
        if age < 2 * step:
            return "ENVIADO"
        return "FALLIDO" if destination in batch.failing else "RECIBIDO"

    def create_batch(self, body: dict, *, with_reply: bool) -> tuple[int, dict]:
        details = body.get("message_details")
        if not isinstance(body.get("message"), str) or not isinstance(details, list) or not details:
            return 400, {"error": "cuerpo inválido: se esperaba message y message_details"}
        destinations = [str(d.get("destination", "")) for d in details if isinstance(d, dict)]
        rejected = {_digits(n) for n in self.switches["reject_numbers"]}
        if any(not _digits(d) or _digits(d) in rejected for d in destinations):
            return 400, {"error": "número de destino inválido"}
        # Stricter than the real provider is known to be: a client that breaks the request
        # rules (RedvoissService) is caught by the tests.
        if len({_digits(d) for d in destinations}) != len(destinations):
            return 400, {"error": "destino repetido en la solicitud"}
        if self.switches["max_destinations"] and len(destinations) > self.switches["max_destinations"]:
            return 400, {"error": "demasiados destinos en la solicitud"}
        failing = {_digits(n) for n in self.switches["fail_numbers"]}
        batch = Batch(
            batch_id=next(self._ids),
            created=self.clock(),
            message=body["message"],
            destinations=destinations,
            commercial=bool(body.get("isCommercial")),
            with_reply=with_reply,
            failing={d for d in destinations if _digits(d) in failing},
        )
        self.batches[batch.batch_id] = batch
        self.received.update(str(d.get("idCliente", "")) for d in details if isinstance(d, dict))
        if with_reply and self.auto_reply_every:
            self._reply_candidates += 1
            if self._reply_candidates % self.auto_reply_every == 0:
                text = AUTO_REPLIES[(self._reply_candidates // self.auto_reply_every) % len(AUTO_REPLIES)]
                self._add_reply(batch, destinations[0], text)
        return 200, {"batchId": batch.batch_id}

    def authorized(self, header: str | None) -> bool:
        if self.switches["bad_credentials"] or not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, self.username) & hmac.compare_digest(password, self.password)


def _handler_for(server: FakeRedvoiss):
    class Handler(BaseHTTPRequestHandler):
        # Without this every keep-alive request waits ~40 ms for a delayed ACK (REDVOISS.md).
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"
        fake = server

        def log_message(self, fmt, *args):  # quiet: tests and the demo read their own logs
            log.debug("fake redvoiss: " + fmt, *args)

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw or b"{}")
            except ValueError:
                return None

        def _answer(self, status: int, payload=None, *, text: str | None = None):
            data = text.encode() if text is not None else json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8" if text is not None else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self, method: str):
            self.fake.peers.add(self.client_address)
            path = urlsplit(self.path).path.rstrip("/")
            body = self._body() if method == "POST" else None
            if path.startswith("/_admin/"):
                return self._admin(method, path, body)
            fake = self.fake
            with fake.lock:
                if fake.keep_requests:
                    fake.requests.append({"method": method, "path": path, "body": body})
                if not fake.authorized(self.headers.get("Authorization")):
                    return self._answer(401, {"error": "credenciales inválidas"})
                if fake.switches["fail_429"]:
                    fake.switches["fail_429"] -= 1
                    return self._answer(429, {"error": "demasiadas solicitudes"})
                if fake.switches["fail_500"]:
                    fake.switches["fail_500"] -= 1
                    return self._answer(500, {"error": "error interno"})
                status, payload, text = self._api(method, path, body)
                slow, malformed = fake.switches["slow_seconds"], fake.switches["malformed"]
            if slow:
                time.sleep(float(slow))  # after the work is done: a send went out even if the client gives up
            if malformed and text is None:
                return self._answer(200, text="<html>Service Temporarily Unavailable")
            return self._answer(status, payload, text=text)

        def _api(self, method, path, body):
            fake = self.fake
            if method == "GET" and path.endswith("/greet"):
                return 200, None, "Hola, usuario de prueba de Redvoiss"
            if method == "POST" and path.endswith(("/send", "/sendWithReply")):
                if body is None:
                    return 400, {"error": "JSON inválido"}, None
                status, payload = fake.create_batch(body, with_reply=path.endswith("/sendWithReply"))
                return status, payload, None
            parts = path.split("/")
            if method == "GET" and len(parts) >= 4 and parts[-3] == "batch":
                try:
                    batch = fake.batches[int(parts[-2])]
                except (KeyError, ValueError):
                    return 404, {"error": "lote desconocido"}, None
                if parts[-1] == "status":
                    items = [
                        {"destination": d, "status": fake.status_of(batch, d), "msgCod": f"{batch.batch_id}-{i}"}
                        for i, d in enumerate(batch.destinations)
                    ]
                    return 200, items, None
                if parts[-1] == "replies":
                    return 200, {"messageReplyList": list(batch.replies)}, None
            return 404, {"error": "ruta desconocida"}, None

        def _admin(self, method, path, body):
            fake = self.fake
            try:
                if path == "/_admin/switches" and method == "POST":
                    return self._answer(200, fake.set(**(body or {})))
                if path == "/_admin/reply" and method == "POST":
                    body = body or {}
                    reply = fake.inject_reply(body["destination"], body["text"], body.get("batchId"))
                    return self._answer(200, reply)
                if path == "/_admin/reset" and method == "POST":
                    fake.reset()
                    return self._answer(200, {"ok": True})
                if path == "/_admin/state" and method == "GET":
                    with fake.lock:
                        batches = {
                            b.batch_id: {"destinations": len(b.destinations), "replies": len(b.replies)}
                            for b in fake.batches.values()
                        }
                        received = dict(fake.received)
                        return self._answer(200, {"switches": fake.switches, "batches": batches, "received": received})
            except (KeyError, LookupError, TypeError) as exc:
                return self._answer(400, {"error": str(exc)})
            return self._answer(404, {"error": "ruta desconocida"})

    return Handler
