-- Timer lateness of Copas 4.11: N threads each pause a seeded random 0..1 s, RUNS times (the
-- same delays as bench/probes/timers.ts: Park-Miller). Prints lines as timers.ts does.
-- Usage: ../shared/oracle/lua-copas [lua5.4|luajit] bench/probes/timers.lua N RUNS SEED
local copas = require("copas")
local socket = require("socket")
local n, runs, seed = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3])

local function nextrand()
  seed = (seed * 16807) % 2147483647
  return seed / 2147483647
end

local late = {}
local lastStart = 0

local function sleeper(i, d)
  local t0 = socket.gettime()
  lastStart = t0
  copas.pause(d)
  late[i] = (socket.gettime() - t0 - d) * 1000
end

local function pct(p)
  local s = {}
  for i = 1, n do s[i] = late[i] end
  table.sort(s)
  return s[math.min(n, math.floor(p * n) + 1)]
end

for run = 1, runs do
  local delays = {}
  for i = 1, n do delays[i] = nextrand() end
  local t0 = socket.gettime()
  for i = 1, n do copas.addthread(sleeper, i, delays[i]) end
  copas.loop()
  print(("run %d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f starts_ms=%.3f"):format(run, pct(0.5), pct(0.99), pct(1), (lastStart - t0) * 1000))
  io.stdout:flush()
end
