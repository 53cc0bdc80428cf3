"""prometheus.py: reading the programs' Prometheus expositions (the
responder's and the mailer's --metrics) in tests."""

import re
import urllib.error
import urllib.request

from harness import scaled

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(port, path="/metrics", method="GET"):
    """One request to 127.0.0.1:port: (status, Content-Type, text)."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=scaled(30)) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def parse(text):
    """{(name, frozenset(labels)): float} of an exposition, checking that
    every sample line is well formed and every name has TYPE and HELP."""
    samples, typed, helped = {}, set(), set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise AssertionError("malformed line %r" % line)
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    for name, _ in samples:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in typed and base not in typed:
            raise AssertionError("%s has no TYPE" % name)
        if name not in helped and base not in helped:
            raise AssertionError("%s has no HELP" % name)
    return samples


def value(samples, name, **labels):
    """The sample's value, or None when the exposition has no such sample."""
    return samples.get((name, frozenset(labels.items())))
