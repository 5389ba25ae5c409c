-- The seed's echo server on Lua Copas 4.11 (the oracle in ../shared/oracle), for the benchmark's
-- optional Lua columns. Run: ../shared/oracle/lua-copas [lua5.4|luajit] bench/servers/copas-echo.lua
-- Prints `listening <port> <control port>`. Each line sent to the control port is answered with
-- `<lines echoed so far>`, so the runner can take CPU time per message (it reads the CPU time from
-- /proc). Ends on SIGTERM.
local copas = require("copas")
local socket = require("socket")

local echoed = 0

local function echoHandler(skt)
  while true do
    local data = copas.receive(skt)
    if data == nil or data == "quit" then break end
    copas.send(skt, data .. "\n")
    echoed = echoed + 1
  end
end

local function controlHandler(skt)
  while true do
    local line = copas.receive(skt)
    if line == nil then break end
    copas.send(skt, tostring(echoed) .. "\n")
  end
end

local port = tonumber(os.getenv("PORT") or "0")
local server = assert(socket.bind("127.0.0.1", port, 4096))
local control = assert(socket.bind("127.0.0.1", 0))
copas.addserver(server, echoHandler)
copas.addserver(control, controlHandler)
print(("listening %d %d"):format(select(2, server:getsockname()), select(2, control:getsockname())))
io.stdout:flush()
copas.loop()
