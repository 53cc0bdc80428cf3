#!/bin/sh
# Bootstraps the build system from a git checkout: configure, Makefile.in
# and automake's TAP driver (which automake does not install by itself).
set -e
cd "$(dirname "$0")"
autoreconf -fi
cp "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
