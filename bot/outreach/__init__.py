"""Outreach: the messages the bot sends first — broadcasts (announcements), reminders of
unfinished assessments, course reminders — planned as outbox rows, one per recipient
and purpose under a unique dedup key, so a planner that crashes or runs twice never
makes a second copy. The dispatcher (bot/delivery/) routes and sends them.

- `recipients.py`  who is targeted: a unit's subtree, group, assessment status, channel;
- `weak.py`        who is weak on an indicator (a course's announcement);
- `reach.py`       the split by channel and the cost, before sending;
- `broadcasts.py`  create, plan (one INSERT … SELECT), status, cancel;
- `personalised.py` placeholders ({xung_ho}, {tien_do}) rendered inside that statement;
- `reminders.py`   the reminder ladder for unfinished assessments;
- `courses.py`     the reminder the day before a course.

May import storage, messages_vi, flows (criteria) and bot.delivery; never Flask.
"""

BROADCAST_PRIORITY = 0
REMINDER_PRIORITY = 5   # below replies (bot/delivery/claim.py REPLY_PRIORITY), above broadcasts
