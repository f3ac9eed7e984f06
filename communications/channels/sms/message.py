from dataclasses import dataclass, field


@dataclass(frozen=True)
class SmsMessage:
    """One SMS to one destination, as handed to a backend.

    ``reference`` is our Message id: it travels with the provider call so that
    status and replies can find the row again. ``commercial`` marks marketing
    traffic (Redvoiss ``isCommercial``); ``allow_reply`` asks for a reply-capable
    route, which marketing uses so that "BAJA" can be read.
    """

    to: str
    body: str
    reference: str
    commercial: bool = False
    allow_reply: bool = False


@dataclass(frozen=True)
class SmsResult:
    """What the provider said when it accepted a message."""

    provider: str
    batch_id: str = ""
    message_id: str = ""
    raw: dict = field(default_factory=dict)
