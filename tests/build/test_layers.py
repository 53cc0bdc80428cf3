#!/usr/bin/env python3
"""test_layers.py: the layers of src/ point one way (README, "Module map").

Each folder of src/ is a layer and may include only the headers of the
layers it stands on; each program holds and needs only what its layers
bring.  The allowed direction, lowest first:

    base <- password <- conf <- db <- api <- server   (account-reset, .cgi)
                                  db <- mailer        (account-reset-mailer)
                                  db <- admin         (account-reset-admin)

A layer may include its own headers and those of every layer below it;
mailer, admin and api/server are side by side and never include each
other.  Checked on the sources (every #include "layer/..." line) and on
the binaries of this build (nm: no api/ symbol in the mailer or the admin
tool; readelf: the mailer and the admin tool do not need libjson-c, only
the mailer needs libcurl).
"""

import os
import re
import subprocess
import sys

from harness import TAP, expect, expect_eq, find_program

SRCDIR = os.environ.get("AR_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
BUILDDIR = os.environ.get("AR_BUILDDIR") or SRCDIR
SRC = os.path.join(SRCDIR, "src")

# What each layer stands on (itself included).
BELOW = {
    "base": {"base"},
    "password": {"base", "password"},
    "conf": {"base", "password", "conf"},
    "db": {"base", "password", "conf", "db"},
    "api": {"base", "password", "conf", "db", "api"},
    "server": {"base", "password", "conf", "db", "api", "server"},
    "mailer": {"base", "password", "conf", "db", "mailer"},
    "admin": {"base", "password", "conf", "db", "admin"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z]+)/[^"]+"', re.M)


def upward_includes(src=SRC):
    """Every include of a header from a layer the file may not use, as
    (file, line, included layer); and folders of src/ that are no layer."""
    bad, unknown = [], []
    for layer in sorted(os.listdir(src)):
        path = os.path.join(src, layer)
        if not os.path.isdir(path):
            continue
        if layer not in BELOW:
            unknown.append(layer)
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(path, name), encoding="utf-8") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                if m.group(1) not in BELOW[layer]:
                    line = text.count("\n", 0, m.start()) + 1
                    bad.append(("src/%s/%s:%d" % (layer, name, line), m.group(1)))
    return bad, unknown


def defined_symbols(path):
    out = subprocess.run([find_program("nm"), "--defined-only", "-g", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    syms = set()
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDRBtdrb":
            syms.add(parts[2])
    return syms


def needed(path):
    out = subprocess.run([find_program("readelf"), "-d", path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=True).stdout.decode()
    return re.findall(r"\(NEEDED\).*\[([^\]]+)\]", out)


def main():
    t = TAP()

    with t.claim("every folder of src/ is a layer, and each includes only headers of its "
                 "own layer and the layers below it (%s)"
                 % "; ".join("%s: %s" % (k, " ".join(sorted(v - {k})) or "-")
                             for k, v in BELOW.items())):
        bad, unknown = upward_includes()
        expect_eq(unknown, [], "folders of src/ that are no layer")
        expect_eq(["%s includes %s/" % b for b in bad], [], "upward includes")

    with t.claim("password/ includes no db/ header, base/ nothing above it"):
        bad, _ = upward_includes()
        expect_eq([b for b in bad if b[0].startswith("src/password/") and b[1] == "db"],
                  [], "password/ -> db/")
        expect_eq([b for b in bad if b[0].startswith("src/base/")], [], "base/ upward")

    api_lib = os.path.join(BUILDDIR, "src", "api", "libapi.a")
    api = defined_symbols(api_lib)
    with t.claim("the api/ library defines the endpoints (so that the next claims mean "
                 "something)"):
        for s in ("reset_handle", "recover_handle", "health_handle", "route_dispatch"):
            expect(s in api, "%s not in %s" % (s, api_lib))

    for prog in ("account-reset-mailer", "account-reset-admin"):
        path = os.path.join(BUILDDIR, prog)
        with t.claim("%s holds no api/ symbol (nm)" % prog):
            held = sorted(defined_symbols(path) & api)
            expect_eq(held, [], "api/ symbols in %s" % prog)
        with t.claim("%s does not need libjson-c (readelf NEEDED)" % prog):
            libs = needed(path)
            expect(libs, "no NEEDED entries read from %s" % path)
            expect_eq([lib for lib in libs if "json-c" in lib], [], "json-c")

    with t.claim("libcurl is needed by the mailer alone"):
        expect([lib for lib in needed(os.path.join(BUILDDIR, "account-reset-mailer"))
                if lib.startswith("libcurl")], "the mailer does not need libcurl?")
        for prog in ("account-reset", "account-reset-admin",
                     os.path.join("cgi-bin", "account-reset.cgi")):
            expect_eq([lib for lib in needed(os.path.join(BUILDDIR, prog))
                       if lib.startswith("libcurl")], [], "libcurl in %s" % prog)

    return t.done()


if __name__ == "__main__":
    sys.exit(main())
