-- unknown.lua: a password that meets the rules and a code that was never
-- issued, so that each request costs the program one indexed lookup and
-- no hashing.  The codes differ from request to request (a pool made at
-- start, cycled), so the lookups are not all for one key; the requests
-- are formatted once in init(), so the client's cost per request is a
-- table lookup, the same against the static peer.
local report = require "report"

local POOL = 4096
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local requests_pool = {}
local next_index = 1
local threads = {}

-- A 32-character code in the alphabet the program issues, beginning with
-- "unknown-" so that it cannot be one of the seeded codes (they are
-- random and the database holds none that starts so).
local function unknown_code()
	local chars = { "unknown-" }
	for _ = 1, 24 do
		local k = math.random(1, #ALPHABET)
		chars[#chars + 1] = ALPHABET:sub(k, k)
	end
	return table.concat(chars)
end

function setup(thread)
	thread:set("id", #threads + 1)
	threads[#threads + 1] = thread
end

function init(args)
	math.randomseed(os.time() * 1000 + (id or 0))
	local headers = { ["Content-Type"] = "application/json" }
	for i = 1, POOL do
		local body = '{"validation_code":"' .. unknown_code() ..
		    '","password":"Bench-passw0rd!"}'
		requests_pool[i] = wrk.format("POST", nil, headers, body)
	end
end

function request()
	local r = requests_pool[next_index]
	next_index = next_index % POOL + 1
	return r
end

done = report.done
