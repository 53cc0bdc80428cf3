-- recover.lua: accepted recover requests, POST /api/v2/account/recover/
-- with {"email": "benchN@example.test"} for seeded users, so that every
-- request is one the program accepts (202) and queues a mail for.
--   wrk ... -s recover.lua URL -- USERS
-- The bodies are formatted once in init() (a pool of 4096 addresses,
-- cycled), so the client's cost per request is a table lookup, as in
-- unknown.lua.
local report = require "report"

local POOL = 4096
local requests_pool = {}
local next_index = 1
local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	threads[#threads + 1] = thread
end

function init(args)
	local users = tonumber(args[1]) or 1000
	math.randomseed(os.time() * 1000 + (id or 0))
	local headers = { ["Content-Type"] = "application/json" }
	for i = 1, POOL do
		local body = '{"email":"bench' .. math.random(1, users) ..
		    '@example.test"}'
		requests_pool[i] = wrk.format("POST", nil, headers, body)
	end
end

function request()
	local r = requests_pool[next_index]
	next_index = next_index % POOL + 1
	return r
end

done = report.done
