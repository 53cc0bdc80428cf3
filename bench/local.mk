# make bench: the benchmark of issue 4 (docs/BENCHMARKS.md); not part of
# make check, since timings say nothing about correctness.  It builds the
# programs and tests/tools/pbkdf2-bench, then bench/run-bench starts a
# private MariaDB, the responder, nginx and a static nginx peer in
# temporary directories, drives them with wrk on 127.0.0.1 and prints one
# table.  Knobs, as make variables or in the environment:
#   make bench BENCH_DURATION=15 BENCH_WORKERS=2 BENCH_ITERATIONS=600000
#              BENCH_USERS=100000 BENCH_CONNECTIONS=32 BENCH_RETRIES=2
#              BENCH_SWEEP=1 BENCH_PEERS=php BENCH_SHARED=../shared
#              BENCH_KEEPALIVE=0 (skips the fastcgi_keep_conn phase)
#              BENCH_ATTEMPT_BATCH=N (default: the program's, 8)
# Include it after EXTRA_DIST is set (it adds to it).  bench/wrk/recover.lua
# and bench/recover-bench are in Makefile.am's EXTRA_DIST.
BENCH_FILES = \
	bench/run-bench \
	bench/callgrind-refused \
	bench/peers.py \
	bench/nginx-static-peer.conf \
	bench/wrk/report.lua \
	bench/wrk/refused.lua \
	bench/wrk/unknown.lua \
	bench/wrk/valid.lua

EXTRA_DIST += $(BENCH_FILES) docs/BENCHMARKS.md

# The null responder: a FastCGI loop that answers without looking, the
# anchor of the refused-password phase.  Built only by make bench (an
# EXTRA_PROGRAMS entry: never installed, not built by make all); automake
# distributes its source.
EXTRA_PROGRAMS += bench/null-responder
bench_null_responder_SOURCES = bench/null-responder.c
bench_null_responder_CPPFLAGS = $(FCGI_CFLAGS)
bench_null_responder_LDADD = $(FCGI_LIBS)

bench: $(sbin_PROGRAMS) tests/tools/pbkdf2-bench$(EXEEXT) bench/null-responder$(EXEEXT)
	BENCH_DURATION='$(BENCH_DURATION)' BENCH_WORKERS='$(BENCH_WORKERS)' \
	BENCH_ITERATIONS='$(BENCH_ITERATIONS)' BENCH_USERS='$(BENCH_USERS)' \
	BENCH_CONNECTIONS='$(BENCH_CONNECTIONS)' BENCH_RETRIES='$(BENCH_RETRIES)' \
	BENCH_SWEEP='$(BENCH_SWEEP)' BENCH_PEERS='$(BENCH_PEERS)' \
	BENCH_SHARED='$(BENCH_SHARED)' BENCH_KEEPALIVE='$(BENCH_KEEPALIVE)' \
	BENCH_ATTEMPT_BATCH='$(BENCH_ATTEMPT_BATCH)' \
	PYTHONDONTWRITEBYTECODE=1 \
	$(PYTHON3) $(abs_top_srcdir)/bench/run-bench \
		--builddir '$(abs_top_builddir)' --srcdir '$(abs_top_srcdir)'

.PHONY: bench

# The password blocklist's figures (issue 11, docs/BLOCKLIST.md): a
# 10,000,000-entry list built by the admin command, lookup cost and
# per-worker memory.  Part of make bench; alone: make bench-blocklist.
bench: bench-blocklist
EXTRA_DIST += bench/blocklist-bench
bench-blocklist: $(sbin_PROGRAMS) tests/tools/blocklist-tool$(EXEEXT)
	BENCH_BLOCKLIST_ENTRIES='$(BENCH_BLOCKLIST_ENTRIES)' \
	BENCH_BLOCKLIST_LOOKUPS='$(BENCH_BLOCKLIST_LOOKUPS)' \
	BENCH_BLOCKLIST_REQUESTS='$(BENCH_BLOCKLIST_REQUESTS)' \
	BENCH_WORKERS='$(BENCH_WORKERS)' PYTHONDONTWRITEBYTECODE=1 \
	$(PYTHON3) $(abs_top_srcdir)/bench/blocklist-bench --builddir '$(abs_top_builddir)'
.PHONY: bench-blocklist

# Retention's cost to resets on a million rows (issue 20; docs/BENCHMARKS.md,
# "Retention"): make bench-purge [BENCH_PURGE_ROWS=N BENCH_DURATION=S].
# Not part of make bench (seeding a million rows takes minutes).
bench-purge: $(sbin_PROGRAMS)
	BENCH_PURGE_ROWS='$(BENCH_PURGE_ROWS)' BENCH_DURATION='$(BENCH_DURATION)' \
	PYTHONDONTWRITEBYTECODE=1 $(PYTHON3) $(abs_top_srcdir)/bench/purge-bench \
		--builddir '$(abs_top_builddir)'
.PHONY: bench-purge
# The token check on every request (issue 21, README section 14):
# auth_request through nginx to account-reset, to the null responder, and
# no check, in one run.  Part of make bench; alone: make bench-auth.
bench: bench-auth
EXTRA_DIST += bench/auth-bench bench/wrk/auth.lua bench/nginx-auth-bench.conf
bench-auth: $(sbin_PROGRAMS) bench/null-responder$(EXEEXT)
	BENCH_DURATION='$(BENCH_DURATION)' BENCH_WORKERS='$(BENCH_WORKERS)' \
	BENCH_CONNECTIONS='$(BENCH_CONNECTIONS)' PYTHONDONTWRITEBYTECODE=1 \
	$(PYTHON3) $(abs_top_srcdir)/bench/auth-bench --builddir '$(abs_top_builddir)'
.PHONY: bench-auth
