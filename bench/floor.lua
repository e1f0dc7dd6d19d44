-- wrk script for bench/floor.sh: sends the pre-signed requests of a file written by
-- bench/signed_sms.py, each once, in order, and stops the thread when they run out (a repeat
-- would be a replay: cheap for the server, and so not what is measured).
local file
local exhausted = false

function init(args)
  file = assert(io.open(args[1], "rb"))
end

function request()
  local len = file:read("*l")
  if len == nil then
    if not exhausted then
      exhausted = true
      io.stderr:write("floor.lua: requests exhausted, stopping\n")
    end
    wrk.thread:stop()
    return wrk.format("GET", "/exhausted")
  end
  return file:read(tonumber(len))
end
