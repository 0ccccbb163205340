"""Headless Chromium started before there is anything to print, and driven over its DevTools pipe.

A build starts the browser while Sphinx writes the pages, so printing the report does not wait the half second or
more that Chromium takes to start. It is driven with the DevTools protocol over `--remote-debugging-pipe` (commands
on the browser's file descriptor 3, replies on 4, each a JSON text ended by a NUL byte), which needs no network
port and no client library. `print_pdf` does what `chromium --print-to-pdf --no-pdf-header-footer
--generate-pdf-document-outline` does: open the file, wait for its load event, then print backgrounds at the page
size and margins the CSS sets, tagged, with an outline and with no header or footer of Chromium's own.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL

from analysis.errors import UserError

TIMEOUT = 600  # seconds Chromium may take to start, or to print the whole book
FIX = "install Debian's chromium package (apt-get install chromium), or set `pdf: false` in the parameters"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-extensions",
    "--no-first-run",
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: a stray remote URL fails at once
    "--remote-debugging-pipe",
)
# Run with the two pipes' descriptors and Chromium's command: puts the pipes where Chromium looks for them (3 and 4;
# each first copied above 9, in case one of them already is 3 or 4) and becomes Chromium.
PLACE_PIPES = """
import fcntl, os, sys
ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]
os.dup2(ends[0], 3)
os.dup2(ends[1], 4)
os.execv(sys.argv[3], sys.argv[3:])
"""
PRINT = {  # Page.printToPDF, as Chromium's own --print-to-pdf sets it
    "printBackground": True,
    "preferCSSPageSize": True,
    "displayHeaderFooter": False,
    "generateTaggedPDF": True,
    "generateDocumentOutline": True,
}


def find_chromium(chromium: str | None = None) -> str:
    """The Chromium executable: the one named (a path or a command on PATH), else `chromium` on PATH."""
    name = chromium or "chromium"
    found = shutil.which(name) or (name if Path(name).is_file() else None)
    if found is None:
        where = f"'{chromium}' was not found" if chromium else "no `chromium` command was found on PATH"
        raise UserError(f"Cannot print the report to PDF: {where}. To fix this, {FIX}.")
    return found


def _private_env(work: Path) -> dict[str, str]:
    """Chromium writes caches and key stores under HOME and the XDG folders; pointed at the temporary folder, it
    leaves nothing in the user's home (the tool changes nothing outside OUT)."""
    home = work / "home"
    home.mkdir(exist_ok=True)
    xdg = {f"XDG_{k}_HOME": str(home / k.lower()) for k in ("CONFIG", "CACHE", "DATA", "STATE")}
    return {**os.environ, "HOME": str(home), **xdg}


def _start(exe: str, work: Path, commands: int, replies: int) -> subprocess.Popen:
    """Chromium, with the two pipes' other ends where it looks for them, its output in its log."""
    browser = [exe, *FLAGS, f"--user-data-dir={work / 'profile'}", "about:blank"]
    cmd = [sys.executable, "-I", "-S", "-c", PLACE_PIPES, str(commands), str(replies), *browser]
    with open(work / "chromium.log", "wb") as log:
        return subprocess.Popen(
            cmd, pass_fds=(commands, replies), stdin=DEVNULL, stdout=log, stderr=log, env=_private_env(work)
        )


def _tail(log: Path) -> str:
    """The last lines Chromium wrote to its log."""
    text = log.read_text(errors="replace").strip() if log.is_file() else ""
    return "\n".join(text.splitlines()[-5:])


class Browser:
    """One headless Chromium, offline, in a profile of its own in a temporary folder (so two builds never share
    one). Close it (or use it as a context manager): the process ends and the folder goes."""

    def __init__(self, chromium: str | None = None) -> None:
        exe = find_chromium(chromium)
        self._tmp = tempfile.TemporaryDirectory(prefix="report-chromium-")
        work = Path(self._tmp.name)
        commands, ours_out = os.pipe()
        ours_in, replies = os.pipe()
        self.devtools = DevTools(ours_out, ours_in, work / "chromium.log")
        try:
            self.proc = _start(exe, work, commands, replies)
        except OSError as e:
            self.close()
            raise UserError(f"Cannot run Chromium ({exe}): {e}. To fix this, {FIX}.") from e
        finally:
            os.close(commands)
            os.close(replies)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def print_pdf(self, html: Path, pdf: Path) -> None:
        """Print `html` to `pdf` in a new tab, closed afterwards."""
        deadline = time.monotonic() + TIMEOUT
        call = self.devtools.call
        self.devtools.events.clear()  # what earlier tabs said
        target = call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
        try:
            tab = call("Target.attachToTarget", {"targetId": target, "flatten": True}, deadline=deadline)
            session = tab["sessionId"]
            call("Page.enable", session=session, deadline=deadline)
            opened = call("Page.navigate", {"url": Path(html).resolve().as_uri()}, session=session, deadline=deadline)
            if opened.get("errorText"):
                raise UserError(f"Chromium could not open the report to print it ({opened['errorText']}).")
            self.devtools.event("Page.loadEventFired", session, deadline)
            printed = call("Page.printToPDF", PRINT, session=session, deadline=deadline)
            Path(pdf).write_bytes(base64.b64decode(printed["data"]))
        finally:
            if self.proc.poll() is None:
                with contextlib.suppress(UserError):  # the error that brought us here is the one to report
                    call("Target.closeTarget", {"targetId": target}, deadline=time.monotonic() + 10)

    def close(self) -> None:
        """End Chromium (asked first, then stopped) and remove its profile."""
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            try:
                self.devtools.send("Browser.close")
                proc.wait(timeout=5)
            except (UserError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        self.devtools.close()
        self._tmp.cleanup()


class DevTools:
    """The DevTools protocol over two pipes: commands go out and replies and events come in, each a JSON text ended
    by a NUL byte. Events that arrive while a reply is awaited are kept for `event`."""

    def __init__(self, commands: int, replies: int, log: Path) -> None:
        self.commands, self.replies, self.log = commands, replies, log
        self.buffer, self.events, self.last_id = b"", [], 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.commands, data) :]
        except OSError:  # the pipe is closed: Chromium has ended
            raise UserError(f"Chromium stopped before it printed the report to PDF.\n{_tail(self.log)}") from None
        return self.last_id

    def call(self, method: str, params: dict | None = None, *, session: str | None = None, deadline: float) -> dict:
        """Send a command and wait for its reply."""
        sent = self.send(method, params, session)
        while True:
            message = self._read(deadline)
            if message.get("id") == sent:
                if "error" in message:
                    raise UserError(f"Chromium could not print the report to PDF ({method}: {message['error']}).")
                return message.get("result", {})
            self.events.append(message)

    def event(self, method: str, session: str, deadline: float) -> dict:
        """Wait for an event of this tab."""
        while True:
            for i, message in enumerate(self.events):
                if message.get("method") == method and message.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self) -> None:
        """Close our ends of the pipes, once: a descriptor closed twice may by then be another file's."""
        for fd in (self.commands, self.replies):
            if fd >= 0:
                os.close(fd)
        self.commands = self.replies = -1

    def _read(self, deadline: float) -> dict:
        """The next message from Chromium; a clear error if it stops or takes longer than TIMEOUT."""
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            ready = select.select([self.replies], [], [], left)[0] if left > 0 else []
            if not ready:
                raise UserError(f"Chromium took more than {TIMEOUT} s to print the report to PDF; nothing was written.")
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise UserError(f"Chromium stopped before it printed the report to PDF.\n{_tail(self.log)}")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)
