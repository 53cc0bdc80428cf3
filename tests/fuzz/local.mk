# libFuzzer targets, built only with ./configure CC=clang --enable-fuzzing
# (which also instruments the whole library).  scripts/fuzz-smoke runs
# each one for a bounded time on a copy of its seeds, tests/fuzz/corpus/
# <target>/; docs/FUZZING.md tells how to run them by hand.
FUZZ_TARGETS = \
	tests/fuzz/fuzz_request \
	tests/fuzz/fuzz_rules \
	tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_hashrec \
	tests/fuzz/fuzz_client \
	tests/fuzz/fuzz_blocklist \
	tests/fuzz/fuzz_email \
	tests/fuzz/fuzz_mailmsg \
	tests/fuzz/fuzz_metrics_http \
	tests/fuzz/fuzz_route_path \
	tests/fuzz/fuzz_credentials \
	tests/fuzz/fuzz_number \
	tests/fuzz/fuzz_form
if ENABLE_FUZZING
noinst_PROGRAMS = $(FUZZ_TARGETS)
endif

tests_fuzz_fuzz_request_SOURCES = tests/fuzz/fuzz_request.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_request_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_rules_SOURCES = tests/fuzz/fuzz_rules.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_rules_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_hashrec_SOURCES = tests/fuzz/fuzz_hashrec.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_hashrec_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_client_SOURCES = tests/fuzz/fuzz_client.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_client_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_blocklist_SOURCES = tests/fuzz/fuzz_blocklist.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_blocklist_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_email_SOURCES = tests/fuzz/fuzz_email.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_email_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_mailmsg_SOURCES = tests/fuzz/fuzz_mailmsg.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_mailmsg_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_mailmsg_LDADD = $(MAILER_PURE_LIBS)
tests_fuzz_fuzz_metrics_http_SOURCES = tests/fuzz/fuzz_metrics_http.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_metrics_http_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_route_path_SOURCES = tests/fuzz/fuzz_route_path.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_route_path_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_credentials_SOURCES = tests/fuzz/fuzz_credentials.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_credentials_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_credentials_LDADD = $(MAILER_PURE_LIBS)
tests_fuzz_fuzz_number_SOURCES = tests/fuzz/fuzz_number.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_number_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_form_SOURCES = tests/fuzz/fuzz_form.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_form_LDFLAGS = $(FUZZ_LDFLAGS)

# The seeds and the dictionary go into the tarball whatever configure said.
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/json.dict
