from dataclasses import dataclass


@dataclass(frozen=True)
class Receipt:
    """What a channel reports after handing a message to its provider."""

    provider: str
    body: str  # the exact text that went out (opt-out line included)
    batch_id: str = ""
    message_id: str = ""
    segments: int | None = None
    encoding: str = ""
    cost_clp: int | None = None
