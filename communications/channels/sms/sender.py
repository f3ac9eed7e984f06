"""Send one Message row's text through the configured SMS backend."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext as _

from ..errors import ChannelError, PermanentError
from ..receipt import Receipt
from .backends.base import get_backend
from .compose import finalize
from .message import SmsMessage
from .segments import SegmentInfo, count_segments


@lru_cache(maxsize=4)
def _backend(path: str):
    # One backend per process and path, so an HTTP backend keeps its connection pool.
    return get_backend(path)


def reset_backends() -> None:
    """Forget cached backends (tests and settings changes)."""
    _backend.cache_clear()


@dataclass(frozen=True)
class PreparedSms:
    text: str
    info: SegmentInfo
    commercial: bool

    def costing(self) -> dict:
        """Message fields that record what this text costs (stored on every outcome)."""
        return {
            "body": self.text,
            "segments": self.info.segments,
            "encoding": self.info.encoding,
            "cost_clp": self.info.cost_clp,
        }


def prepare(message, body: str) -> PreparedSms:
    commercial = message.category == "marketing"
    text = finalize(body, commercial=commercial)
    return PreparedSms(text, count_segments(text), commercial)


def check_length(prepared: PreparedSms) -> None:
    """Refuse a marketing text longer than SMS_MAX_SEGMENTS (raises PermanentError)."""
    if prepared.commercial and prepared.info.segments > settings.SMS_MAX_SEGMENTS:
        # Templates are validated in the admin; a long name or custom text can still
        # overflow. Marketing is not worth the extra segments; a transactional SMS is.
        raise PermanentError(
            "too many segments",
            reason="template_error",
            detail=_("El SMS ocupa %(n)d segmentos (máximo %(max)d).")
            % {"n": prepared.info.segments, "max": settings.SMS_MAX_SEGMENTS},
        )


def _sms(message, prepared: PreparedSms) -> SmsMessage:
    return SmsMessage(
        to=message.destination,
        body=prepared.text,
        reference=str(message.pk),
        commercial=prepared.commercial,
        # Reply-capable so that "BAJA" can be read (Ley 19.496); a BAJA answered to a
        # reminder counts too, so transactional SMS use it unless the setting says no.
        allow_reply=prepared.commercial or settings.SMS_TRANSACTIONAL_REPLY_CAPABLE,
    )


def _receipt(result, prepared: PreparedSms) -> Receipt:
    return Receipt(
        provider=result.provider,
        body=prepared.text,
        batch_id=result.batch_id,
        message_id=result.message_id,
        segments=prepared.info.segments,
        encoding=prepared.info.encoding,
        cost_clp=prepared.info.cost_clp,
    )


def send(message, body: str, prepared: PreparedSms | None = None) -> Receipt:
    prepared = prepared or prepare(message, body)
    check_length(prepared)
    return _receipt(_backend(settings.SMS_BACKEND).send(_sms(message, prepared)), prepared)


def send_many(messages: list, prepared: PreparedSms) -> list[Receipt | ChannelError]:
    """Messages sharing one final text (``prepared``, already length-checked): one backend call.

    Per message its Receipt or the ChannelError that concerns it.
    """
    results = _backend(settings.SMS_BACKEND).send_many([_sms(m, prepared) for m in messages])
    return [r if isinstance(r, ChannelError) else _receipt(r, prepared) for r in results]
