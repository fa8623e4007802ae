"""Open a page in headless Chromium and evaluate JavaScript in it, over the DevTools protocol on
a pipe (``--remote-debugging-pipe``: requests on the browser's fd 3, answers on its fd 4, each
message JSON ending in a NUL byte).  No Python dependency beyond the standard library; the
browser is Debian's ``chromium`` package (``.ci/run`` installs it when it is missing)."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium with a fresh profile; use as a context manager."""

    def __init__(self, executable: str, timeout: float = 60.0):
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def child_fds():  # the protocol's fixed descriptors: 3 = commands in, 4 = answers out
            # copies above 9 first, so that moving one to 3 or 4 cannot overwrite the other
            a, b = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        # preexec_fn runs before the child closes its descriptors: 3 and 4 must be kept (pass_fds)
        self.proc = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
                                     pass_fds=(3, 4, to_child_r, from_child_w), preexec_fn=child_fds,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("Browser.close")
            except (OSError, TimeoutError, RuntimeError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.stderr:
            self.proc.stderr.close()
        self._profile.cleanup()

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result (events in between are skipped)."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to {method} within {self.timeout} s")
                ready, _, _ = select.select([self._from_child], [], [], left)
                if ready:
                    chunk = os.read(self._from_child, 1 << 20)
                    if not chunk:
                        raise RuntimeError(f"the browser closed its pipe ({method})")
                    self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def open(self, url: str) -> str:
        """Open ``url`` in a new tab and wait until it has loaded; return the tab's session id."""
        target = self.send("Target.createTarget", {"url": url})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:  # the first answers may come from about:blank, or from a context the load replaces
                if self.evaluate(session, "location.href + ' ' + document.readyState") == f"{url} complete":
                    return session
            except RuntimeError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{url} did not load within {self.timeout} s")

    def evaluate(self, session: str, expression: str):
        """The value of ``expression`` (awaited if it is a promise) in the tab's page."""
        res = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                        session=session)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript error: {res['exceptionDetails']}")
        return res["result"].get("value")


def inspect_report(report: Path, executable: str, timeout: float = 120.0) -> dict:
    """Open a ``snakemake --report`` file as a user would and show every result the way its
    buttons do (the report's own ``app.setView``, as a click on a result calls it); return, per
    result, what the browser displayed: for images the ``<img>`` element's load state and natural
    size, for HTML the iframe and the result's decoded page; and each result's rendered caption."""
    script = r"""
    (async () => {
      const sleep = ms => new Promise(r => setTimeout(r, ms));
      for (let i = 0; i < 200 && (typeof app === "undefined" || !app); i++) await sleep(50);
      if (typeof app === "undefined" || !app) return {error: "the report's app did not start"};
      const out = {};
      for (const [path, res] of Object.entries(results)) {
        const entry = {mime: res.mime_type, name: res.name};
        if (res.mime_type.startsWith("image/")) {
          app.setView({content: "img", contentPath: res.data_uri, resultPath: path});
          let img = null;
          for (let i = 0; i < 200; i++) {
            await sleep(25);
            img = Array.from(document.querySelectorAll("img")).find(x => x.getAttribute("src") === res.data_uri);
            if (img && img.complete) break;
          }
          if (img && !img.complete) await new Promise(r => { img.onload = r; img.onerror = r; setTimeout(r, 5000); });
          entry.img = img ? {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
                             shownWidth: img.getBoundingClientRect().width} : null;
        } else if (res.mime_type === "text/html") {
          app.setView({content: "html", contentPath: res.data_uri, resultPath: path});
          await sleep(200);
          const frame = Array.from(document.querySelectorAll("iframe")).find(x => x.getAttribute("src") === res.data_uri);
          entry.iframe = frame ? {width: frame.getBoundingClientRect().width, height: frame.getBoundingClientRect().height} : null;
          const b64 = res.data_uri.split("base64,")[1];
          const text = new TextDecoder().decode(Uint8Array.from(atob(b64), c => c.charCodeAt(0)));
          const doc = new DOMParser().parseFromString(text, "text/html");
          entry.tables = Array.from(doc.querySelectorAll("table")).map(t => t.id);
          const head = doc.querySelector("#verdict-headline");
          entry.headline = head ? head.textContent : null;
        }
        app.showResultInfo(path);
        await sleep(100);
        const caption = document.createElement("div");
        caption.innerHTML = res.caption || "";
        entry.caption = caption.textContent;
        entry.captionTables = caption.querySelectorAll("table").length;
        out[path] = entry;
      }
      return {results: out, categories: Object.keys(categories)};
    })()
    """
    with Browser(executable, timeout=timeout) as browser:
        session = browser.open(Path(report).resolve().as_uri())
        return browser.evaluate(session, script)
