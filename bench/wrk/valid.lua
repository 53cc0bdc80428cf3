-- valid.lua: valid resets, each request with its own validation code.
--   wrk -t N ... -s valid.lua URL -- CODES_FILE N
-- CODES_FILE holds one code a line (bench/run-bench writes it from the
-- codes it seeded); thread k of N takes lines k, k + N, k + 2N ...  A
-- thread that runs out of codes sends one last request with the code
-- "exhausted" and stops: its 400 makes the runner fail the phase, which
-- never happens as long as the runner writes more codes than the bound
-- allows (it writes twice as many).
local report = require "report"

local threads = {}
local codes = {}
local next_index = 1
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
	thread:set("id", #threads + 1)
	threads[#threads + 1] = thread
end

function init(args)
	local path = args[1]
	local nthreads = tonumber(args[2]) or 1
	local f = assert(io.open(path, "r"))
	local line_no = 0
	for line in f:lines() do
		if line_no % nthreads == (id or 1) - 1 then
			codes[#codes + 1] = line
		end
		line_no = line_no + 1
	end
	f:close()
end

function request()
	local code = codes[next_index]
	if code == nil then
		wrk.thread:stop()
		code = "exhausted"
	end
	next_index = next_index + 1
	return wrk.format("POST", nil, headers,
	    '{"validation_code":"' .. code .. '","password":"Bench-new-passw0rd!"}')
end

done = report.done
