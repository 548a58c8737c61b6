"""Run in separate processes by tests/bot/test_inbound_queue.py: processors in real
processes (nothing shared in memory), one of them killed mid-batch."""


def kill_mid_batch(database_url: str) -> None:
    """Handle the first claimed event, flush its effects, then die (SIGKILL) before commit."""
    import logging
    import os
    import signal
    logging.disable(logging.CRITICAL)
    import bot.inbound.queue as queue
    from bot.app import create_app
    runtime = create_app({"database_url": database_url, "embedded_workers": False}).extensions["cdht"]
    real_handle = queue.handle

    def handle_then_die(runtime, session, *args):
        result = real_handle(runtime, session, *args)
        session.flush()                        # the effects are written, not committed
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    queue.handle = handle_then_die
    queue.process_pending(runtime)


def process_until_empty(database_url: str, barrier, limit: int) -> None:
    """One processor: small batches until a few passes in a row find nothing."""
    import logging
    logging.disable(logging.CRITICAL)
    from bot.app import create_app
    from bot.inbound.queue import process_pending
    runtime = create_app({"database_url": database_url, "embedded_workers": False}).extensions["cdht"]
    barrier.wait(timeout=60)
    idle = 0
    while idle < 3:
        idle = 0 if process_pending(runtime, limit=limit).handled else idle + 1
