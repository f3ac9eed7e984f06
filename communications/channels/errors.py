"""Channel errors say whether retrying helps. The send task acts on the class, never on text.

- TransientError: nothing went out; retry with backoff (connection refused, 429, 503).
- PermanentError: the provider refused this message; do not retry, release the cap.
- AmbiguousError: the request may have been delivered (read timeout, 500 after sending);
  never resend blindly: the message becomes ``unknown`` and is reconciled from status.
- ConfigurationError: credentials or setup are wrong (401/403); alert staff and pause the
  channel instead of retrying every message.
"""


class ChannelError(Exception):
    reason = "provider_error"
    # Set when the provider's answer named a batch despite the error (e.g. a 500 with a
    # batchId): an "unknown" message can then be reconciled from that batch's status.
    provider = ""
    batch_id = ""

    def __init__(self, message: str = "", *, reason: str | None = None, detail: str = ""):
        super().__init__(message or self.__class__.__name__)
        if reason:
            self.reason = reason
        self.detail = detail


class TransientError(ChannelError):
    reason = "provider_unavailable"


class PermanentError(ChannelError):
    reason = "provider_rejected"


class AmbiguousError(ChannelError):
    reason = "provider_ambiguous"


class ConfigurationError(ChannelError):
    reason = "provider_misconfigured"
