-- refused.lua: the same request every time, a body whose password breaks
-- the rules (too short, too few character classes), so that the program
-- answers 400 invalid_password without touching the database or PBKDF2.
-- No request() function: wrk sends one pre-built request, the cheapest
-- client there is, for the service and for the static peer alike.
local report = require "report"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"validation_code":"Q2hhbmdlLW1lLXBsZWFzZS0wMTIzNDU2","password":"short"}'

done = report.done
