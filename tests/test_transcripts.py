"""Every file in tests/transcripts/ is a conversation the bot must hold word for word."""

from pathlib import Path

import pytest

from tests.transcript import run_transcript

FILES = sorted((Path(__file__).parent / "transcripts").glob("*.txt"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path, make_app):
    run_transcript(path.read_text(encoding="utf-8"), make_app, path.name)
