"""Send one Message row's text through the configured SMS backend."""

from functools import lru_cache

from django.conf import settings

from ..receipt import Receipt
from .backends.base import get_backend
from .compose import finalize
from .message import SmsMessage
from .segments import count_segments


@lru_cache(maxsize=4)
def _backend(path: str):
    # One backend per process and path, so an HTTP backend keeps its connection pool.
    return get_backend(path)


def send(message, body: str) -> Receipt:
    commercial = message.category == "marketing"
    text = finalize(body, commercial=commercial)
    info = count_segments(text)
    result = _backend(settings.SMS_BACKEND).send(
        SmsMessage(
            to=message.destination,
            body=text,
            reference=str(message.pk),
            commercial=commercial,
            allow_reply=commercial,
        )
    )
    return Receipt(
        provider=result.provider,
        body=text,
        batch_id=result.batch_id,
        message_id=result.message_id,
        segments=info.segments,
        encoding=info.encoding,
        cost_clp=info.cost_clp,
    )
