"""Inbound messages, from the webhook's acknowledgement to the replies in the outbox.

- `accept.py`: the webhook's half, one INSERT of a pending event (and a NOTIFY);
- `pipeline.py`: one message through the bot (contact, citizen, engine, effects, outbox
  rows) inside the caller's transaction; `receive` does it inline for the console;
- `citizens.py`: which citizen wrote, and joining two records of one person;
- `queue.py`: the processor: claim in order per contact, batch, retry, park.
May import flows, messages_vi, storage, webhooks (contract, registry, http) and
bot.conversation; never Flask.
"""

from .accept import accept
from .pipeline import receive
from .queue import drain, process_pending

__all__ = ["accept", "drain", "process_pending", "receive"]
