-- recover.lua: POST /api/v2/account/recover/ with a different address and
-- a different client (X-Forwarded-For, believed from 127.0.0.1 by
-- trusted_proxies) from a pool made at start, cycled, so that every
-- request is accepted (202): each client stays under recover_limit, as
-- the clients of a spread-out flood would.  Used by bench/recover-bench
-- (not by make bench).
local report = require "report"

local POOL = 8192
local requests_pool = {}
local next_index = 1
local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	threads[#threads + 1] = thread
end

function init(args)
	math.randomseed(os.time() * 1000 + (id or 0))
	for i = 1, POOL do
		local headers = {
			["Content-Type"] = "application/json",
			["X-Forwarded-For"] = string.format("10.%d.%d.%d",
			    math.random(0, 255), math.random(0, 255),
			    math.random(1, 254)),
		}
		local body = string.format(
		    '{"email":"bench-%d-%d@example.test"}', id or 0,
		    math.random(1, 1000000000))
		requests_pool[i] = wrk.format("POST", nil, headers, body)
	end
end

function request()
	local r = requests_pool[next_index]
	next_index = next_index % POOL + 1
	return r
end

done = report.done
