"""The product's own processes (`flask --app wsgi worker`, `scheduler`) started by a test
against the test's database and settings, as an operator would start them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment(settings: dict) -> dict:
    """The CDHT_* environment of these settings (quiet hours off, no embedded workers)."""
    env = {**os.environ, "CDHT_EMBEDDED_WORKERS": "0", "CDHT_WORKER_NICE": "0",
           "CDHT_SEND_WINDOW": "always", "PYTHONUNBUFFERED": "1"}
    for name, value in settings.items():
        env["DATABASE_URL" if name == "database_url" else f"CDHT_{name.upper()}"] = str(value)
    return env


def spawn(command: str, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", command], cwd=ROOT,
                            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
