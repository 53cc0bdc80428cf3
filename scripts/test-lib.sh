# shellcheck shell=bash
# Shared by scripts/test and scripts/check-sanitizers (sourced, not run).

# Reads automake's own summary of the last "make check" in build dir $1
# (its test-suite.log, which counts every TAP claim) into the variables
# passed, failed and skipped.  failed counts FAIL, XPASS and ERROR; a
# missing summary counts as one failure.
# shellcheck disable=SC2034  # the three variables are the caller's
automake_totals() {
	local log=$1/test-suite.log
	passed=0 failed=0 skipped=0
	if [ ! -f "$log" ]; then
		failed=1
		return
	fi
	passed=$(( $(_am_count "$log" PASS) + $(_am_count "$log" XFAIL) ))
	failed=$(( $(_am_count "$log" FAIL) + $(_am_count "$log" XPASS) + $(_am_count "$log" ERROR) ))
	skipped=$(_am_count "$log" SKIP)
}

# The count on the "# WHAT: N" line of test-suite.log $1 (0 if none).
_am_count() {
	local n
	n=$(sed -n "s/^# $2: *\([0-9]*\)\$/\1/p" "$1" | head -n 1)
	echo "${n:-0}"
}

# Shows the end of the log of every test file of build dir $1 that failed
# or broke, without the lines of the claims that passed.
show_failed_logs() {
	local trs
	find "$1/tests" -name '*.trs' -exec grep -l -E '^:global-test-result: (FAIL|ERROR)' {} + 2>/dev/null |
		while read -r trs; do
			echo "===== ${trs%.trs}.log"
			grep -v '^ok ' "${trs%.trs}.log" | tail -n 60
		done
}
