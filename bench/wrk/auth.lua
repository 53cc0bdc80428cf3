-- auth.lua: GET the protected file with a Bearer token, one of the
-- tokens in the file BENCH_TOKENS (one a line) at random, so that the
-- check looks up rows across the index and not one row over and over.
local report = require("report")
local tokens = {}

function init(args)
	for line in io.lines(os.getenv("BENCH_TOKENS")) do
		tokens[#tokens + 1] = "Bearer " .. line
	end
	math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
	local h = { Authorization = tokens[math.random(#tokens)] }
	return wrk.format("GET", nil, h)
end

done = report.done
