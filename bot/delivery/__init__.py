"""Delivery: from outbox rows to providers, once each, at decent hours, through the
cheapest channel that reaches the citizen.

What lives here:
- `window.py`   quiet hours (CDHT_SEND_WINDOW), pure;
- `routing.py`  the fallback order Zalo CS → ZNS → SMS for one citizen, pure;
- `backoff.py`  when to try again, pure;
- `buckets.py`  per-channel token buckets in the database, shared by every worker;
- `claim.py`    taking due rows under a lease: route, check consent, take tokens;
- `dispatch.py` sending a claimed batch concurrently and recording each outcome;
- `recovery.py` rows whose worker died mid-send: asked of the provider, or sent again.

It may import storage, webhooks.contract, webhooks.http and messages_vi; never Flask,
the inbound queue or the scheduler's jobs (they import it).
"""
