"""browser.py: the pages' browser scenarios (tests/browser/pages.cjs: Debian's
chromium driven by playwright-core, axe-core) run from a Python test, each
check of a scenario one TAP claim.  Used by tests/e2e/test_pages_browser.py
and tests/e2e/test_quickstart.py.

Environment: AR_BUILDDIR and AR_SRCDIR as for harness.py.
"""

import json
import os
import shutil
import subprocess

from harness import HarnessError, find_program, scaled

SRCDIR = os.path.abspath(os.environ.get("AR_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.path.abspath(os.environ.get("AR_BUILDDIR") or SRCDIR)
BROWSER_DIR = os.path.join(SRCDIR, "tests", "browser")
DRIVER = os.path.join(BROWSER_DIR, "pages.cjs")
SHOTS = os.path.join(BUILDDIR, "tests", "browser", "screenshots")

__all__ = ["Browser", "node_modules", "SHOTS"]


def node_modules():
    """The directory holding playwright-core and axe-core: the source
    tree's tests/browser/node_modules (scripts/install-deps test runs npm
    ci there), else a copy installed into the build directory from the
    same package-lock.json (a read-only source tree, make distcheck)."""
    here = os.path.join(BROWSER_DIR, "node_modules")
    if os.path.isdir(os.path.join(here, "playwright-core")):
        return here
    dest = os.path.join(BUILDDIR, "tests", "browser")
    os.makedirs(dest, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(BROWSER_DIR, name), dest)
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    r = subprocess.run([find_program("npm"), "ci", "--no-audit", "--no-fund"], cwd=dest,
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise HarnessError("npm ci in %s failed: %s" % (dest, r.stdout.decode()[-2000:]))
    return os.path.join(dest, "node_modules")


class Browser:
    """Runs scenarios of pages.cjs; each check is a claim of t.  note(value)
    is told every password, code and token a scenario uses or brings back
    (a Fixture's note_secret), so that no log may hold them."""

    def __init__(self, t, note):
        self.t = t
        self.note = note
        self.modules = node_modules()
        self.node = find_program("node")
        self.chromium = find_program("chromium")

    def run(self, scenario, **args):
        for k in ("good", "weak", "code"):
            self.note(args.get(k))
        env = dict(os.environ, NODE_PATH=self.modules, AR_SHOTS=SHOTS,
                   AR_CHROMIUM=self.chromium)
        try:
            p = subprocess.run([self.node, DRIVER, scenario, json.dumps(args)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               timeout=scaled(600))
        except subprocess.TimeoutExpired as e:
            self.t.ok(False, "browser scenario %s ran" % scenario,
                      "no end after %d s: %s" % (e.timeout, (e.stderr or b"").decode()[-3000:]))
            return {}
        try:
            out = json.loads(p.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.t.ok(False, "browser scenario %s ran" % scenario,
                      "exit %d: %s" % (p.returncode, p.stderr.decode()[-3000:]))
            return {}
        for c in out["checks"]:
            self.t.ok(c["ok"], c["name"], c["diag"])
        data = out.get("data", {})
        if data.get("token"):
            tok = json.loads(data["token"])
            for k in ("access_token", "refresh_token"):
                self.note(tok.get(k))
            data["token"] = tok
        return data
