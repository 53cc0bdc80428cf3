# make soak: an hour (SOAK_MINUTES) of mixed traffic through the whole
# stack while faults are injected on a seeded schedule, then an account of
# every request and every mail (tests/soak/soak.py, issue 22, docs/SOAK.md).
# Not part of make check.  Knobs, as make variables or in the environment:
#   make soak SOAK_MINUTES=60 SOAK_SEED=1234 SOAK_CLUSTER=1 SOAK_TABLE=FILE
# Its TAP goes through the TAP driver, so the last line says
# "N passed, N failed" (the CI stage "soak" of scripts/test runs 3 minutes).
SOAK_MINUTES = 60
SOAK_FILES = tests/soak/soak.py
EXTRA_DIST += $(SOAK_FILES) tests/soak/local.mk docs/SOAK.md

soak: $(sbin_PROGRAMS) $(cgibin_PROGRAMS)
	@rm -rf tests/soak/run-record
	@$(MKDIR_P) tests/soak
	@{ AR_BUILDDIR='$(abs_top_builddir)' AR_SRCDIR='$(abs_top_srcdir)' \
	PYTHONPATH='$(abs_top_srcdir)/tests/lib' PYTHONDONTWRITEBYTECODE=1 \
	AR_RUN_RECORD='$(abs_top_builddir)/tests/soak/run-record' \
	SOAK_MINUTES='$(SOAK_MINUTES)' SOAK_SEED='$(SOAK_SEED)' \
	SOAK_CLUSTER='$(SOAK_CLUSTER)' SOAK_TABLE='$(SOAK_TABLE)' \
	SOAK_NGINX_KEEPALIVE='$(SOAK_NGINX_KEEPALIVE)' \
	$(PYTHON3) $(abs_top_srcdir)/tests/soak/soak.py; \
	echo $$? > tests/soak/soak.status; } 2>&1 | tee tests/soak/soak.log; \
	status=$$(cat tests/soak/soak.status); \
	p=$$(grep -c '^ok ' tests/soak/soak.log); \
	f=$$(grep -c '^not ok ' tests/soak/soak.log); \
	echo "soak: $$p passed, $$f failed (tests/soak/soak.log)"; \
	test $$status -eq 0 && test $$f -eq 0
.PHONY: soak
