-- wrk script for every HTTP scenario in bench/: each wrk thread sends the requests of
-- its own list, in order, built once before the run.
--
--   wrk -t2 -c32 -d10s --latency -s bench/requests.lua http://127.0.0.1:PORT \
--       -- LIST_PREFIX once|cycle [THINK_MS]
--
-- LIST_PREFIX.N (N = 1, 2, ... one per wrk thread) holds one request a line, its fields
-- separated by tabs: METHOD, PATH, headers ("Name: value" joined by "\31"), BODY.
-- The bench's Python side writes these lists (tokens, cards, codes, fresh
-- Idempotency-Keys) and checks the results in the database afterwards.
--
-- "once": every request is sent at most once; a thread whose list runs out stops and
-- reports it (the run is then too short to trust: give longer lists). "cycle": the
-- list repeats (e.g. GET /hello). THINK_MS > 0: each connection waits a random 0 to
-- 2 x THINK_MS milliseconds before each request, as a person would (mixed load).
--
-- At the end one line "WRK_JSON {...}" gives the counts per status, socket errors and
-- the latency percentiles, for bench/loadgen.py to read.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

local list = {}
local position = 0
local cycle = false
local think_ms = 0
statuses = {}
exhausted = 0
first_failure = nil

local function split(text, sep)
  local parts = {}
  local start = 1
  while true do
    local at = string.find(text, sep, start, true)
    if not at then
      table.insert(parts, string.sub(text, start))
      return parts
    end
    table.insert(parts, string.sub(text, start, at - 1))
    start = at + #sep
  end
end

function init(args)
  local prefix = args[1]
  cycle = args[2] == "cycle"
  think_ms = tonumber(args[3] or "0") or 0
  local name = prefix .. "." .. wrk.thread:get("index")
  local file = assert(io.open(name, "r"), "no request list " .. name)
  for line in file:lines() do
    if #line > 0 then
      local fields = split(line, "\t")
      local headers = {}
      if fields[3] and #fields[3] > 0 then
        for _, header in ipairs(split(fields[3], "\31")) do
          local colon = string.find(header, ":", 1, true)
          headers[string.sub(header, 1, colon - 1)] = string.sub(header, colon + 2)
        end
      end
      local body = fields[4]
      if body == "" then body = nil end
      table.insert(list, wrk.format(fields[1], fields[2], headers, body))
    end
  end
  file:close()
  assert(#list > 0, "empty request list " .. name)
  math.randomseed(os.time() + wrk.thread:get("index"))
end

function delay()
  if think_ms > 0 then
    return math.random(0, 2 * think_ms)
  end
  return 0
end

function request()
  position = position + 1
  if position > #list then
    if cycle then
      position = 1
    else
      -- Out of requests: stop this thread. The request returned here may still go out,
      -- so it is a harmless read, and its answer is not counted.
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/hello")
    end
  end
  return list[position]
end

function response(status, headers, body)
  if exhausted == 1 then
    return
  end
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and first_failure == nil then
    first_failure = status .. " " .. string.sub(body or "", 1, 300)
  end
end

local function json_string(text)
  text = string.gsub(text, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. text .. '"'
end

function done(summary, latency, requests)
  local merged = {}
  local ran_out = 0
  local failure = nil
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      merged[status] = (merged[status] or 0) + count
    end
    ran_out = ran_out + (thread:get("exhausted") or 0)
    failure = failure or thread:get("first_failure")
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local pct = {}
  for _, p in ipairs({50, 90, 95, 99, 99.9}) do
    table.insert(pct, string.format('"%s": %d', tostring(p), latency:percentile(p)))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "statuses": {%s}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {%s, "max": %d, "mean": %.1f}, "threads_ran_out": %d, '
      .. '"first_failure": %s}\n',
    summary.duration, summary.requests, summary.bytes, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(pct, ", "), latency.max, latency.mean, ran_out,
    failure and json_string(failure) or "null"
  ))
end
