"""When to try a failed send again: exponential backoff with jitter, so a provider's
outage does not end with every worker hammering it at the same second."""

import random
from datetime import timedelta

BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)


def retry_delay(attempt: int, draw=random.random) -> timedelta:
    """After the `attempt`-th failed try (1, 2, …): 30 s, 1 min, 2 min, 4 min… up to an
    hour, each scaled by a random factor between 0.5 and 1.5 (`draw` gives [0, 1))."""
    nominal = min(CAP, BASE * (2 ** min(max(0, attempt - 1), 16)))   # held rows try for ever
    return nominal * (0.5 + draw())
