-- wrk script for bench/hotpaths.py: one hot path, many signed-in candidates.
-- bench/hotpaths.py writes the data file it loads (candidates, cookies, CSRF tokens, lines)
-- and names the path in WRK_KIND (save, flag, clock, attempt, login, floor_save, floor_paper).
-- Each wrk thread takes its own share of the candidates, so its seq numbers rise on every line.

local kind = os.getenv("WRK_KIND")
local people = dofile(os.getenv("WRK_DATA"))
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter - 1)
  table.insert(threads, thread)
end

local mine, n, seq, nthreads

function init(args)
  nthreads = tonumber(os.getenv("WRK_THREADS"))
  mine = {}
  for i, p in ipairs(people) do
    if (i - 1) % nthreads == id then table.insert(mine, p) end
  end
  n = 0
  -- bench/hotpaths.py gives each run a base above every earlier run's seqs: a seq that went
  -- back to 0 would make most saves older retries, answered without a write or a journal entry
  seq = tonumber(os.getenv("WRK_SEQ_BASE") or "0")
end

local function headers_for(p, json)
  local h = { ["Cookie"] = p.cookie, ["X-CSRF-Token"] = p.csrf }
  if json then h["Content-Type"] = "application/json" end
  return h
end

-- WRK_DELAY_MS: each connection waits this long before each request (wrk's delay hook), to
-- measure a request's CPU at a sitting's rate rather than at saturation (--delay-ms)
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pause and pause > 0 then
  function delay()
    return pause
  end
end

function request()
  n = n + 1
  local p = mine[(n % #mine) + 1]
  local round = math.floor(n / #mine)
  local pos = (round % p.npos) + 1
  seq = seq + 1
  if kind == "save" then
    local opts = p.options[pos]
    local body = '{"option_id":"' .. opts[(seq % #opts) + 1] .. '","seq":' .. seq .. '}'
    return wrk.format("PUT", "/api/v1/attempt/answers/" .. pos, headers_for(p, true), body)
  elseif kind == "floor_save" then
    local opts = p.options[pos]
    local body = '{"option_id":"' .. opts[(seq % #opts) + 1] .. '","seq":' .. seq .. '}'
    return wrk.format("PUT", "/floor/answers/" .. p.lines[pos], headers_for(p, true), body)
  elseif kind == "flag" then
    -- Every flag starts false (bench/hotpaths.py clears them before each run); each pass over
    -- the paper sets the opposite of the last, so every request changes a flag and is journalled
    local pass = math.floor(round / p.npos)
    local body = '{"flagged":' .. ((pass % 2 == 0) and "true" or "false") .. '}'
    return wrk.format("PUT", "/api/v1/attempt/flags/" .. pos, headers_for(p, true), body)
  elseif kind == "clock" then
    local h = headers_for(p, false)
    h["X-Examhall-Page"] = "1"
    return wrk.format("GET", "/api/v1/attempt/clock", h)
  elseif kind == "attempt" then
    return wrk.format("GET", "/api/v1/attempt", headers_for(p, false))
  elseif kind == "floor_paper" then
    return wrk.format("GET", "/floor/paper/" .. p.attempt)
  elseif kind == "login" then
    local body = '{"candidate_number":"' .. p.number .. '","access_code":"' .. p.code .. '"}'
    return wrk.format("POST", "/api/v1/auth/candidate",
      { ["Cookie"] = p.device, ["Content-Type"] = "application/json" }, body)
  end
  return wrk.format("GET", "/hello")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
