"""The Redvoiss REST API (REDVOISS.md is the contract): calls and vocabulary, in one place.

Every assumption about the provider lives here so it can be corrected once the
provider confirms it: endpoint paths, payload keys, status words and the keys
that reply and status items are looked up under. HTTP, timeouts and error
classes are the base class's job (communications.channels.http).
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings

from ..errors import AmbiguousError, ChannelError, PermanentError
from ..http import Answer, JsonHttpService, MalformedResponse

# Provider status word -> our vocabulary (communications.models.Status values).
# "sent" means the provider has it (PENDIENTE: queued there, ENVIADO: handed to the network).
STATUS_MAP = {
    "PENDIENTE": "sent",
    "ENVIADO": "sent",
    "RECIBIDO": "delivered",
    "FALLIDO": "failed",
}
UNKNOWN_STATUS = "unknown"

# Item fields were not all observed: look each value up under several plausible keys.
DESTINATION_KEYS = ("destination", "destino", "phone", "telefono", "msisdn", "number", "numero", "from", "origin")
STATUS_KEYS = ("status", "estado", "statusText", "state", "deliveryStatus")
CODE_KEYS = ("msgCod", "msgCode", "messageCode", "codigo", "id")
TEXT_KEYS = ("text", "message", "mensaje", "reply", "respuesta", "body", "content", "replyText")
REPLY_ID_KEYS = ("id", "replyId", "msgCod", "messageId")
LIST_KEYS = ("messageReplyList", "statusList", "messageStatusList", "items", "data", "list", "result")


@dataclass(frozen=True)
class StatusItem:
    destination: str
    raw_status: str
    code: str
    raw: dict = field(default_factory=dict)

    @property
    def normalized(self) -> str:
        return STATUS_MAP.get(self.raw_status.strip().upper(), UNKNOWN_STATUS)


@dataclass(frozen=True)
class ReplyItem:
    destination: str
    text: str
    reply_id: str
    raw: dict = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Stable identity of this reply: the provider's id if any, else a hash of the raw item."""
        if self.reply_id:
            return f"id:{self.reply_id}"
        canonical = json.dumps(self.raw, sort_keys=True, ensure_ascii=False, default=str)
        return "h:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _first(item: dict, keys) -> str:
    for key in keys:
        value = item.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _items(payload, preferred: str) -> list:
    """The list of items in an answer: the list itself, or the list under a known key."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in (preferred, *LIST_KEYS):
            if isinstance(payload.get(key), list):
                return payload[key]
        if not payload:
            return []
    raise MalformedResponse(f"expected a list of items, got {type(payload).__name__}")


def _batch_id(answer: Answer) -> str:
    try:
        data = answer.json()
    except MalformedResponse:
        return ""
    batch_id = data.get("batchId") if isinstance(data, dict) else None
    return "" if batch_id in (None, "") else str(batch_id)


class RedvoissService(JsonHttpService):
    """Redvoiss request rules (REDVOISS.md, specs/sending.md), assumed until the provider confirms:

    - one request carries one text: only byte-identical final texts with the same
      endpoint (send / sendWithReply) and the same isCommercial share a request;
    - a normalised destination appears at most once per request;
    - at most REDVOISS_MAX_DESTINATIONS (default 50) destinations per request;
    - a 400 on a multi-destination request queued nothing (see ``send_group``).
    """

    provider = "redvoiss"

    @classmethod
    def from_settings(cls, **overrides) -> "RedvoissService":
        options = {
            "base_url": settings.REDVOISS_API_URL,
            "username": settings.REDVOISS_USERNAME,
            "password": settings.REDVOISS_PASSWORD,
            "connect_timeout": settings.REDVOISS_CONNECT_TIMEOUT,
            "read_timeout": settings.REDVOISS_READ_TIMEOUT,
            "max_response_bytes": settings.REDVOISS_MAX_RESPONSE_BYTES,
            "retry_writes_on_5xx": settings.REDVOISS_RETRY_SEND_ON_5XX,
            **overrides,
        }
        base_url = options.pop("base_url")
        return cls(base_url, **options)

    def greet(self) -> str:
        """Credentials and connectivity check; sends nothing."""
        return self.request("GET", "/greet", write=False).text.strip()

    def send(self, *, text: str, destination: str, reference: str, commercial: bool, with_reply=False) -> str:
        """Send one text to one destination; returns the provider's batch id."""
        return self.send_many(
            text=text, recipients=[(destination, reference)], commercial=commercial, with_reply=with_reply
        )

    def send_many(self, *, text: str, recipients: list[tuple[str, str]], commercial: bool, with_reply=False) -> str:
        """Send one text to several (destination, reference) pairs in one request; returns the batch id.

        Callers keep to the request rules below (one text, distinct destinations, at most
        REDVOISS_MAX_DESTINATIONS); the error, whatever it is, concerns every recipient.
        """
        payload = {
            # The bulk name carries our first Message id so a batch can be traced in the provider's console.
            "bulkName": f"aremko-{recipients[0][1]}",
            "message": text,
            # idCliente carries each Message id (free text for Redvoiss; never assumed echoed back).
            # "field" (per-recipient substitution) stays empty until Redvoiss documents it.
            "message_details": [{"destination": d, "field": "", "idCliente": str(ref)} for d, ref in recipients],
            "isCommercial": bool(commercial),
        }
        path = "/sendWithReply" if with_reply else "/send"
        try:
            answer = self.request("POST", path, json_body=payload, write=True)
        except AmbiguousError as exc:
            # A 5xx that still names a batch: keep it, so status polling can tell what happened.
            answer = getattr(exc, "answer", None)
            exc.batch_id = _batch_id(answer) if answer is not None else ""
            exc.provider = self.provider if exc.batch_id else ""
            raise
        batch_id = _batch_id(answer)
        if not batch_id:
            raise MalformedResponse("answer without batchId", raw=answer.body[:2000])
        return batch_id

    def send_group(
        self, *, text: str, recipients: list[tuple[str, str]], commercial: bool, with_reply=False
    ) -> list[str | ChannelError]:
        """One multi-destination request; per recipient its batch id, or the error that concerns it.

        ASSUMPTION (undocumented by Redvoiss): a 400 answer to a multi-destination request
        queued nothing and does not say which destination it refused. So each destination
        is retried once alone: one bad number must not fail the others. Any other error
        (timeout, 5xx: ambiguous; 429/503: transient; 401: configuration) concerns every
        recipient and is returned for each: an ambiguous one makes all N ``unknown``.
        """
        try:
            batch_id = self.send_many(text=text, recipients=recipients, commercial=commercial, with_reply=with_reply)
            return [batch_id] * len(recipients)
        except PermanentError as exc:
            if len(recipients) == 1:
                return [exc]
        except ChannelError as exc:
            return [exc] * len(recipients)
        results: list[str | ChannelError] = []
        for destination, reference in recipients:
            try:
                results.append(
                    self.send(
                        text=text,
                        destination=destination,
                        reference=reference,
                        commercial=commercial,
                        with_reply=with_reply,
                    )
                )
            except ChannelError as exc:
                results.append(exc)
        return results

    def send_with_reply(self, **kwargs) -> str:
        return self.send(**kwargs, with_reply=True)

    def batch_status(self, batch_id: str) -> list[StatusItem]:
        data = self.request("GET", f"/batch/{batch_id}/status", write=False).json()
        items = []
        for raw in _items(data, "statusList"):
            if not isinstance(raw, dict):
                raise MalformedResponse("status item is not an object")
            destination, status = _first(raw, DESTINATION_KEYS), _first(raw, STATUS_KEYS)
            items.append(StatusItem(destination, status, _first(raw, CODE_KEYS), raw))
        return items

    def batch_replies(self, batch_id: str) -> list[ReplyItem]:
        data = self.request("GET", f"/batch/{batch_id}/replies", write=False).json()
        items = []
        for raw in _items(data, "messageReplyList"):
            if isinstance(raw, str):  # a bare list of texts is tolerated too
                raw = {"text": raw}
            if not isinstance(raw, dict):
                raise MalformedResponse("reply item is not an object")
            destination, text = _first(raw, DESTINATION_KEYS), _first(raw, TEXT_KEYS)
            items.append(ReplyItem(destination, text, _first(raw, REPLY_ID_KEYS), raw))
        return items
