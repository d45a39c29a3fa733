-- wrk script: POST /v1/consultations with realistic bodies (real ward codes,
-- real titles, vocabulary terms, fieldwork over three years).
-- Needs data.lua beside it (written by tests/bench/run.sh) and TOKEN in the environment.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local data = dofile(here .. "data.lua")
local token = os.getenv("TOKEN")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() + (seed or 0) * 7919)
end

local function day(n)
  -- n days after 2027-01-01, as YYYY-MM-DD
  return os.date("!%Y-%m-%d", 1798761600 + n * 86400)
end

request = function()
  local start = math.random(0, 3 * 365 - 1)
  local body = string.format(
    '{"title":"%s","topics":["%s"],"communities":["%s"],"areas":["%s"],' ..
    '"fieldwork":{"start":"%s","end":"%s"},"engagement_level":"consult"}',
    data.titles[math.random(#data.titles)], data.topics[math.random(#data.topics)],
    data.communities[math.random(#data.communities)], data.wards[math.random(#data.wards)],
    day(start), day(start + 14 + math.random(0, 59)))
  return wrk.format("POST", "/v1/consultations",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.2f ms, p99: %.2f ms, max: %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non-2xx: %d, socket errors: %d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
