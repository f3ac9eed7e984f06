"""An SMS backend for tests whose answers are scripted: "ok" or an exception to raise, in order."""

from communications.channels.sms.backends.base import BaseSmsBackend
from communications.channels.sms.message import SmsResult

script: list = []
calls: list = []


class SmsBackend(BaseSmsBackend):
    provider = "scripted"

    def send(self, message):
        calls.append(message)
        action = script.pop(0) if script else "ok"
        if isinstance(action, BaseException):
            raise action
        return SmsResult(provider=self.provider, batch_id=f"b{len(calls)}", message_id=f"m{len(calls)}")
