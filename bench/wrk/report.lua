-- report.lua: what every bench script's done() prints, one line that
-- bench/run-bench parses:
--   BENCH-RESULT requests=N duration_us=N status_errors=N connect=N
--   read=N write=N timeout=N p50_us=N p99_us=N mean_us=N max_us=N
-- status_errors counts answers that are not 2xx or 3xx.
local report = {}

function report.done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
	    "BENCH-RESULT requests=%d duration_us=%d status_errors=%d " ..
	    "connect=%d read=%d write=%d timeout=%d " ..
	    "p50_us=%d p99_us=%d mean_us=%d max_us=%d\n",
	    summary.requests, summary.duration, e.status,
	    e.connect, e.read, e.write, e.timeout,
	    latency:percentile(50.0), latency:percentile(99.0),
	    latency.mean, latency.max))
end

return report
