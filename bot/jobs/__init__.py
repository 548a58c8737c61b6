"""The scheduler's timed jobs, and the one scheduler that runs them.

Each job is a function `(runtime, now) -> str` (what it did, for the log and
`job_runs`). Jobs keep no state of their own: each scans the database for what is due
(reminders, broadcasts whose time came, leases that ran out), so a restart, a missed
run or a second run loses and doubles nothing. `run_job` is also what
`flask --app wsgi jobs run NAME --now …` calls.

- `schedule.py`  which job runs when (the triggers), and `run_job`;
- `scheduler.py` APScheduler in exactly one process (PostgreSQL advisory lock; on
  SQLite a lock file);
- `housekeeping.py` session expiry, the sweeper, the Zalo token.

May import storage, bot.delivery, bot.outreach, bot.inbound (queue stats) and bot.tokens.
"""
