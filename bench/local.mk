# make bench: the benchmark of issue 4 (docs/BENCHMARKS.md); not part of
# make check, since timings say nothing about correctness.  It builds the
# programs and tests/tools/pbkdf2-bench, then bench/run-bench starts a
# private MariaDB, the responder, nginx and a static nginx peer in
# temporary directories, drives them with wrk on 127.0.0.1 and prints one
# table.  Knobs, as make variables or in the environment:
#   make bench BENCH_DURATION=15 BENCH_WORKERS=2 BENCH_ITERATIONS=600000
#              BENCH_USERS=100000 BENCH_CONNECTIONS=32 BENCH_RETRIES=2
#              BENCH_SWEEP=1
# Include it after EXTRA_DIST is set (it adds to it).
BENCH_FILES = \
	bench/run-bench \
	bench/nginx-static-peer.conf \
	bench/wrk/report.lua \
	bench/wrk/refused.lua \
	bench/wrk/unknown.lua \
	bench/wrk/valid.lua

EXTRA_DIST += $(BENCH_FILES) docs/BENCHMARKS.md

bench: $(sbin_PROGRAMS) tests/tools/pbkdf2-bench$(EXEEXT)
	BENCH_DURATION='$(BENCH_DURATION)' BENCH_WORKERS='$(BENCH_WORKERS)' \
	BENCH_ITERATIONS='$(BENCH_ITERATIONS)' BENCH_USERS='$(BENCH_USERS)' \
	BENCH_CONNECTIONS='$(BENCH_CONNECTIONS)' BENCH_RETRIES='$(BENCH_RETRIES)' \
	BENCH_SWEEP='$(BENCH_SWEEP)' PYTHONDONTWRITEBYTECODE=1 \
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
