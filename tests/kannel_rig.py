"""Real Kannel on 127.0.0.1 for tests: bearerbox, smsbox and fakesmsc (Debian's `kannel`
and `kannel-extras`), on free ports, in a temp folder, stopped by PID at the end.

fakesmsc plays the phones: a line written to its FIFO is an SMS to us (MO); every SMS
Kannel delivers to it is printed in its log as `Got message N: <from to type payload>`.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote_from_bytes, unquote_to_bytes

BEARERBOX, SMSBOX = Path("/usr/sbin/bearerbox"), Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
INSTALLED = all(p.exists() for p in (BEARERBOX, SMSBOX, FAKESMSC))
SHORT_CODE = "8088"

CONFIG = """
group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = rig-admin
status-password = rig-status
admin-allow-ip = "127.0.0.1"
smsbox-port = {box}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "bearerbox.log"
log-level = 0
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = FAKE
host = 127.0.0.1
port = {smsc}
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = "smsbox.log"
log-level = 0

group = sendsms-user
username = cdht
password = rig-pass
user-allow-ip = "127.0.0.1"
default-sender = {short_code}
max-messages = 3
concatenation = true

group = sms-service
keyword = default
catch-all = true
get-url = "{app}/webhooks/kannel/mo?secret={secret}&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&ts=%T"
omit-empty = true
max-messages = 0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class KannelRig:
    def __init__(self, folder: Path, app_url: str, secret: str):
        self.folder = folder
        self.ports = {name: free_port() for name in ("admin", "box", "smsc", "sendsms")}
        (folder / "kannel.conf").write_text(CONFIG.format(
            app=app_url, secret=secret, short_code=SHORT_CODE, **self.ports))
        self.processes: list[subprocess.Popen] = []
        self.fifo = folder / "fakesmsc.in"
        self.fake_log = folder / "fakesmsc.log"

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    def _start(self, *command, stdin=subprocess.DEVNULL, log: str) -> None:
        out = open(self.folder / log, "ab")
        self.processes.append(subprocess.Popen(command, cwd=self.folder, stdin=stdin,
                                               stdout=out, stderr=subprocess.STDOUT))

    def start(self) -> "KannelRig":
        self._start(str(BEARERBOX), "-v", "1", "kannel.conf", log="bearerbox.out")
        wait_port(self.ports["admin"])
        self._start(str(SMSBOX), "-v", "1", "kannel.conf", log="smsbox.out")
        wait_port(self.ports["sendsms"])
        os.mkfifo(self.fifo)
        # read-write open keeps the FIFO from reaching EOF between our writes
        self._fifo_fd = os.open(self.fifo, os.O_RDWR)
        self._start(str(FAKESMSC), "-H", "127.0.0.1", "-r", str(self.ports["smsc"]),
                    stdin=self._fifo_fd, log="fakesmsc.log")
        self.wait_for(lambda: "Fakesmsc client connected" in self._read("bearerbox.out")
                      or "connected" in self._read("bearerbox.log"), "fakesmsc to connect")
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):   # fakesmsc, smsbox, then bearerbox
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        if hasattr(self, "_fifo_fd"):
            os.close(self._fifo_fd)

    def _read(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def wait_for(condition, what: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise TimeoutError(f"waited {seconds} s for {what}")

    # -- the phones -----------------------------------------------------------------
    def phone_sends(self, sender: str, text: str, ucs2: bool = False) -> None:
        """One SMS to our short code, as GSM text or as UCS-2 (diacritics)."""
        payload = ("ucs2 " + quote_from_bytes(text.encode("utf-16-be"), safe="")) if ucs2 \
            else "text " + text
        with open(self.fifo, "w") as fifo:
            fifo.write(f"{sender} {SHORT_CODE} {payload}\n")

    def phones_received(self) -> list[tuple[str, str, str]]:
        """(to, type, text) of every SMS Kannel delivered, in order; the parts of a long
        SMS (`udh 050003<ref><total><n> data …`) joined into one."""
        received, parts = [], {}
        for line in self._read("fakesmsc.log").splitlines():
            if "Got message" not in line or "<" not in line or not line.rstrip().endswith(">"):
                continue   # a line still being written
            inner = line[line.index("<") + 1:line.rindex(">")]
            _sender, to, kind, payload = inner.split(" ", 3)
            if kind == "udh":
                udh, part_kind, data = payload.split(" ", 2)
                header = unquote_to_bytes(udh)
                ref, total = header[3], header[4]
                parts.setdefault(ref, []).append(_decode(part_kind, data))
                if len(parts[ref]) == total:
                    received.append((to, "text" if part_kind == "data" else part_kind,
                                     "".join(parts.pop(ref))))
                continue
            received.append((to, kind, _decode(kind, payload)))
        return received


def _decode(kind: str, payload: str) -> str:
    if kind in ("ucs-2", "ucs2"):
        return unquote_to_bytes(payload.replace("+", "%20")).decode("utf-16-be")
    if kind == "data":   # a part of a long GSM-7 SMS, URL-encoded
        return unquote_to_bytes(payload.replace("+", "%20")).decode("latin-1")
    return payload
