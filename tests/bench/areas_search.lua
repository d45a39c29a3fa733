-- wrk script: GET /v1/areas?q= as an autocomplete field sends it, one keystroke
-- at a time: the first 1 to 6 letters of real area names, and code prefixes.
-- TOKEN in the environment; names.lua beside it (written by areas_search.sh).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local names = dofile(here .. "names.lua")
local token = os.getenv("TOKEN")
local i = 0

request = function()
  i = i + 1
  local name = names[(i * 7919) % #names + 1]
  local q = name:sub(1, (i % 6) + 1):gsub(" ", "%%20")
  return wrk.format("GET", "/v1/areas?q=" .. q, { ["Authorization"] = "Bearer " .. token })
end
