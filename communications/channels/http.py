"""The boring part of every HTTP provider: one session, timeouts, size cap, error classes.

Subclasses (e.g. RedvoissService) build paths and payloads and read answers;
they need not override anything here. Classification (REDVOISS.md, STYLE.md):

- nothing left this machine (connection refused, DNS, connect timeout), 429, 503:
  TransientError, retry with backoff;
- 401/403 or a wrong endpoint (404/405 on a write, a redirect): ConfigurationError;
- other 4xx: PermanentError (the provider refused this request);
- read timeout, dropped connection after sending, 5xx, or a 2xx we cannot read:
  AmbiguousError for writes (the provider may have acted), TransientError for reads.

Logs carry method, path, status and timing; never bodies (they hold phone
numbers and message text).
"""

import json
import logging
import re
import time
from dataclasses import dataclass

import requests
import urllib3
from requests.auth import HTTPBasicAuth

from ..ops import metrics
from .errors import AmbiguousError, ChannelError, ConfigurationError, PermanentError, TransientError

log = logging.getLogger(__name__)

USER_AGENT = "aremko-comunicaciones/1.0 (+https://aremko.cl)"
_LONG_NUMBER = re.compile(r"\+?\d[\d\s-]{5,}\d")


def redact(text: str, limit: int = 300) -> str:
    """Provider error text fit for a log or reason_detail: long digit runs (phones) masked."""
    return _LONG_NUMBER.sub(lambda m: f"{m.group(0)[:3]}…{m.group(0)[-2:]}", str(text or ""))[:limit]


class MalformedResponse(AmbiguousError):
    """A 2xx answer that is not what the contract says (bad JSON, missing fields, too large)."""

    reason = "provider_ambiguous"

    def __init__(self, message: str, *, raw: bytes = b"", detail: str = ""):
        super().__init__(message, detail=detail or message)
        self.raw = raw


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    elapsed: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def readable(self) -> str:
        """The body for a person: JSON re-printed without escapes (so "inválido" reads as such)."""
        try:
            return json.dumps(json.loads(self.body), ensure_ascii=False)
        except ValueError:
            return self.text

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedResponse("malformed JSON", raw=self.body[:2000]) from exc


def _sent_nothing(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request left (safe to resend)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


class JsonHttpService:
    """One requests.Session per service object; thread-safe enough for one worker process."""

    provider = "http"

    def __init__(
        self,
        base_url: str,
        *,
        username: str = "",
        password: str = "",
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        max_response_bytes: int = 1_000_000,
        retry_writes_on_5xx: bool = False,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_response_bytes = max_response_bytes
        self.retry_writes_on_5xx = retry_writes_on_5xx
        self.has_credentials = bool(username and password)
        self.session = session or requests.Session()
        self.session.auth = HTTPBasicAuth(username, password)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json, text/plain"})

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, *, json_body=None, write: bool) -> Answer:
        """Call the provider; returns a 2xx Answer or raises a ChannelError subclass."""
        try:
            return self._request(method, path, json_body=json_body, write=write)
        except ChannelError as exc:
            metrics.provider_error(self.provider, exc)
            raise

    def _request(self, method: str, path: str, *, json_body=None, write: bool) -> Answer:
        if not self.has_credentials:
            raise ConfigurationError(f"{self.provider}: missing credentials", detail="missing credentials")
        url = f"{self.base_url}{path}"
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, json=json_body, timeout=self.timeout, stream=True, allow_redirects=False
            )
        except requests.ConnectionError as exc:
            # ConnectTimeout is a ConnectionError too; ReadTimeout is not.
            self._log(method, path, "connection-error", started)
            if _sent_nothing(exc) or not write:
                raise TransientError(f"{self.provider}: cannot connect ({type(exc).__name__})") from exc
            raise AmbiguousError(f"{self.provider}: connection lost after sending") from exc
        except requests.Timeout as exc:
            self._log(method, path, "read-timeout", started)
            if write:
                raise AmbiguousError(f"{self.provider}: read timeout after sending") from exc
            raise TransientError(f"{self.provider}: read timeout") from exc
        except requests.RequestException as exc:
            self._log(method, path, type(exc).__name__, started)
            raise ConfigurationError(f"{self.provider}: bad request setup ({type(exc).__name__})") from exc
        try:
            body = self._read_capped(response, write=write)
        finally:
            response.close()
        answer = Answer(response.status_code, body, time.monotonic() - started)
        self._log(method, path, answer.status, started)
        self.classify(answer, method=method, path=path, write=write)
        return answer

    def _read_capped(self, response: requests.Response, *, write: bool) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise MalformedResponse(f"{self.provider}: answer larger than {self.max_response_bytes} bytes")
                chunks.append(chunk)
        except requests.RequestException as exc:
            # The status line arrived but the body did not: for a write, it may have acted.
            if write:
                raise AmbiguousError(f"{self.provider}: answer cut short ({type(exc).__name__})") from exc
            raise TransientError(f"{self.provider}: answer cut short ({type(exc).__name__})") from exc
        return b"".join(chunks)

    def classify(self, answer: Answer, *, method: str, path: str, write: bool) -> None:
        """Raise the ChannelError a non-2xx answer means, with the answer attached. Subclasses may refine it."""
        try:
            self._classify(answer, write=write)
        except ChannelError as exc:
            exc.answer = answer
            raise

    def _classify(self, answer: Answer, *, write: bool) -> None:
        status = answer.status
        if 200 <= status < 300:
            return
        detail = f"HTTP {status}: {redact(answer.readable())}"
        if status in (401, 403):
            raise ConfigurationError(f"{self.provider}: credentials refused (HTTP {status})", detail=detail)
        if 300 <= status < 400 or (write and status in (404, 405)):
            raise ConfigurationError(f"{self.provider}: wrong endpoint (HTTP {status})", detail=detail)
        if status in (429, 503):
            raise TransientError(f"{self.provider}: busy (HTTP {status})", detail=detail)
        if 400 <= status < 500:
            raise PermanentError(f"{self.provider}: refused (HTTP {status})", detail=detail)
        if write and not self.retry_writes_on_5xx:
            raise AmbiguousError(f"{self.provider}: server error after sending (HTTP {status})", detail=detail)
        raise TransientError(f"{self.provider}: server error (HTTP {status})", detail=detail)

    def _log(self, method: str, path: str, outcome, started: float) -> None:
        metrics.provider_request(self.provider, outcome, time.monotonic() - started)
        log.info("%s %s %s -> %s in %.0f ms", self.provider, method, path, outcome, (time.monotonic() - started) * 1000)
