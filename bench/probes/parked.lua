-- Heap held by N Copas 4.11 threads parked in copas.pause(). Prints `parked <bytes per thread>`.
-- Usage: ../shared/oracle/lua-copas [lua5.4|luajit] bench/probes/parked.lua N
local copas = require("copas")
local n = tonumber(arg[1])

local function parked() copas.pause(1e6) end

collectgarbage("collect"); collectgarbage("collect")
local k0 = collectgarbage("count")
for _ = 1, n do copas.addthread(parked) end
copas.step(0)
copas.step(0)
collectgarbage("collect"); collectgarbage("collect")
local k1 = collectgarbage("count")
print(("parked %f"):format((k1 - k0) * 1024 / n))
os.exit(0)
