"""Writes each SMS to a file under SMS_FILE_PATH: one file per backend instance (process).

The file holds message bodies and destinations: it is for development machines only.
"""

import datetime
import itertools
import os
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..message import SmsMessage, SmsResult
from .base import BaseSmsBackend

_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    provider = "file"

    def __init__(self, file_path=None, **kwargs):
        super().__init__(**kwargs)
        self.file_path = Path(file_path or settings.SMS_FILE_PATH)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.file_path} exists and is not a directory")
        self._filename: Path | None = None
        self._lock = threading.Lock()

    @property
    def filename(self) -> Path:
        if self._filename is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            self._filename = self.file_path / f"{stamp}-{os.getpid()}-{id(self)}.log"
        return self._filename

    def send(self, message: SmsMessage) -> SmsResult:
        n = next(_ids)
        flags = "comercial" if message.commercial else "transaccional"
        with self._lock:
            self.file_path.mkdir(parents=True, exist_ok=True)
            with self.filename.open("a", encoding="utf-8") as fh:
                fh.write(f"To: {message.to}\nRef: {message.reference}\nTipo: {flags}\n\n{message.body}\n")
                fh.write("-" * 40 + "\n")
        return SmsResult(provider=self.provider, batch_id=f"file-{n}", message_id=f"file-{n}")
