"""Sends SMS through Redvoiss: marketing reply-capable and flagged commercial (REDVOISS.md)."""

from ...errors import ChannelError
from ..message import SmsMessage, SmsResult
from ..redvoiss import RedvoissService
from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    provider = "redvoiss"

    def __init__(self, service: RedvoissService | None = None, **kwargs):
        super().__init__(**kwargs)
        self.service = service or RedvoissService.from_settings(**kwargs)

    def close(self):
        self.service.close()

    def send(self, message: SmsMessage) -> SmsResult:
        send = self.service.send_with_reply if message.allow_reply else self.service.send
        batch_id = send(
            text=message.body, destination=message.to, reference=message.reference, commercial=message.commercial
        )
        return SmsResult(provider=self.provider, batch_id=batch_id, raw={"batchId": batch_id})

    def send_many(self, messages: list[SmsMessage]) -> list[SmsResult | ChannelError]:
        """One Redvoiss request for all of them (the caller keeps to the request rules)."""
        first = messages[0]
        answers = self.service.send_group(
            text=first.body,
            recipients=[(m.to, m.reference) for m in messages],
            commercial=first.commercial,
            with_reply=first.allow_reply,
        )
        return [
            a if isinstance(a, ChannelError) else SmsResult(provider=self.provider, batch_id=a, raw={"batchId": a})
            for a in answers
        ]
