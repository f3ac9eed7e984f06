"""Prints each SMS to stdout: for developers and the demo without a provider.

The body is printed (that is the point); the destination is masked, because
stdout ends up in process logs.
"""

import itertools
import sys
import threading

from ventas.phones import mask_phone

from ..message import SmsMessage, SmsResult
from .base import BaseSmsBackend

_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    provider = "console"

    def __init__(self, stream=None, **kwargs):
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, message: SmsMessage) -> SmsResult:
        n = next(_ids)
        flags = "comercial" if message.commercial else "transaccional"
        with self._lock:
            self.stream.write(f"--- SMS #{n} a {mask_phone(message.to)} ({flags}, ref {message.reference}) ---\n")
            self.stream.write(message.body + "\n")
            self.stream.flush()
        return SmsResult(provider=self.provider, batch_id=f"console-{n}", message_id=f"console-{n}")
