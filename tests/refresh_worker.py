"""Run in a separate process by tests/bot/test_token_refresh.py: one process that
refreshes the Zalo token when told to."""


def refresh_in_process(database_url: str, settings: dict, reason: str, refused: str | None,
                       barrier, results) -> None:
    import logging
    logging.disable(logging.CRITICAL)
    from bot.app import create_app
    app = create_app({"database_url": database_url, "embedded_workers": False, **settings})
    tokens = app.extensions["cdht"].host.tokens("zalo")
    barrier.wait(timeout=30)            # both processes go at the same moment
    try:
        results.put(tokens.refresh(reason=reason, refused=refused))
    except Exception as exc:            # reported to the test, which fails on it
        results.put(f"error: {exc!r}")
