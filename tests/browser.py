"""A headless Chromium for the tests, driven through chromedriver's WebDriver protocol.

A few plain HTTP calls (the W3C WebDriver protocol, JSON over HTTP to a chromedriver this
module starts on a free local port): open a page, run a script, read the console log, take
a screenshot.  Chromium and chromedriver are Debian's packages (``chromium``,
``chromium-driver``); where ``PGPROOF_REQUIRE_BROWSER`` is set (CI) their absence is a
failure, elsewhere a skip.  Chromium runs headless, without sandbox (CI runs as root), with
every background network feature off and a fresh profile.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ARGUMENTS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1300,1000",
]


def _tool(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if os.path.isfile(name) else None)
        if found:
            return found
    return None


def require_browser() -> tuple[str, str]:
    """(chromium, chromedriver): a failure where PGPROOF_REQUIRE_BROWSER is set, else a
    skip when either is missing."""
    chromium = _tool("/usr/lib/chromium/chromium", "chromium", "chromium-browser")
    driver = _tool("chromedriver", "/usr/lib/chromium/chromedriver")
    if chromium is None or driver is None:
        missing = "chromium" if chromium is None else "chromedriver"
        if os.environ.get("PGPROOF_REQUIRE_BROWSER"):
            pytest.fail(f"{missing} is required (PGPROOF_REQUIRE_BROWSER is set) but not found")
        pytest.skip(f"{missing} is not installed")
    return chromium, driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One chromedriver process and one browser session."""

    def __init__(self, profile: Path) -> None:
        chromium, driver = require_browser()
        self.port = _free_port()
        self.process = subprocess.Popen(
            [driver, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        self.session = ""
        try:
            self._wait_ready()
            capabilities = {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [*ARGUMENTS, f"--user-data-dir={profile}"],
                },
                "goog:loggingPrefs": {"browser": "ALL"},
            }
            answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
            self.session = answer["sessionId"]
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read().decode("utf-8"))
        value = answer.get("value", answer)
        if isinstance(value, dict) and "error" in value and "sessionId" not in value:
            raise RuntimeError(f"webdriver: {value['error']}: {value.get('message', '')[:500]}")
        return value

    def _session(self, method: str, path: str, body: dict | None = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url: str) -> None:
        """Load ``url`` and wait for it."""
        self._session("POST", "/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        """Run JavaScript in the page (WebDriver's script, not the page's: CSP does not
        apply to it) and return its value."""
        return self._session("POST", "/execute/sync", {"script": script, "args": list(args)})

    def console(self) -> list[dict[str, Any]]:
        """The browser console's entries since the last call (level, message)."""
        return self._session("POST", "/se/log", {"type": "browser"})

    def resize(self, width: int, height: int) -> None:
        self._session("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, selector: str | None = None) -> bytes:
        """A PNG of the window, or of the first element matching ``selector``."""
        if selector is None:
            data = self._session("GET", "/screenshot")
        else:
            found = self._session("POST", "/element", {"using": "css selector", "value": selector})
            element = next(iter(found.values()))
            data = self._session("GET", f"/element/{element}/screenshot")
        return base64.b64decode(data)

    def close(self) -> None:
        """End the session and chromedriver (the process this object started)."""
        try:
            if self.session:
                self._session("DELETE", "")
        except (OSError, RuntimeError):
            pass
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
