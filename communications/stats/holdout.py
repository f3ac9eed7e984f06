"""Who is in the control group: a keyed hash of the client id, nothing stored.

Sticky across runs and machines (the same key gives the same buckets), independent
of segment, and nested: raising the share only adds clients, so someone who was
treated never becomes a control retroactively. The key is its own setting: rotating
SECRET_KEY must not reshuffle the experiment.
"""

import hashlib
import hmac

BUCKETS = 10_000


def bucket(key: str, subject: str) -> int:
    """0..9999 from HMAC-SHA256(key, subject)."""
    digest = hmac.new(key.encode(), subject.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_global_holdout(cliente_id: int, percent: float, key: str) -> bool:
    return percent > 0 and bucket(key, str(cliente_id)) < percent * 100


def in_campaign_holdout(campaign_id: int, cliente_id: int, percent: float, key: str) -> bool:
    """A campaign's own control share; callers ask only for clients outside the global holdout."""
    return percent > 0 and bucket(key, f"campaign:{campaign_id}:{cliente_id}") < percent * 100
