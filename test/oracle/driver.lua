-- The oracle's Lua driver: runs one scenario (test/oracle/scenario.ts) on Lua Copas 4.11 with
-- LuaSocket, and prints one line per step that prints, "<sid> <result>", then "END".
--
--   ../shared/oracle/lua-copas lua5.4 test/oracle/driver.lua <scenario.lua> <control port>
--
-- The scripted peer (test/oracle/peer.ts) listens on the control port; a command is one line,
-- its answer one line, so the driver and the peer take turns (ordered by acknowledgements, not
-- by sleeps). driver.ts is the same driver for the port: keep the two in step.

local scenario_file, ctl_port = arg[1], tonumber(arg[2])

local copas = require "copas"
local socket = require "socket"

-- Copas pauses a thread at random in about one socket operation in ten (fairness), which makes
-- thread order differ between runs; the port does it every FAIRNESS_INTERVAL operations. Only
-- that call, math.random(100), is made to answer 1 ("no pause"); scenarios keep below 10
-- operations in a row where order matters.
do
  local random = math.random
  math.random = function(...)
    if select("#", ...) == 1 and (...) == 100 then return 1 end
    return random(...)
  end
end

local NULL = setmetatable({}, { __tostring = function() return "NULL" end })
local scenario = dofile(scenario_file)(NULL)

---------------------------------------------------------------------------------------------
-- Output: the same text as driver.ts's fmt()
---------------------------------------------------------------------------------------------

local function out(line)
  io.stdout:write(line, "\n")
  io.stdout:flush()
end

local function fnv(s)
  local h = 2166136261
  for i = 1, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return string.format("%08x", h)
end

local function quote(s, full)
  if #s > 200 and not full then
    return string.format("<%d bytes fnv=%s>", #s, fnv(s))
  end
  return '"' .. s:gsub('[%c"\\\127-\255]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\x%02x", c:byte())
  end) .. '"'
end

local function isinteger(v)
  return math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 2^53)
end

local function fmt(v, coarse)
  local t = type(v)
  if v == nil or v == NULL then return "nil" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if coarse then return v == 0 and "0" or (v > 0 and "n>0" or "n<0") end
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    if isinteger(v) then return string.format("%d", math.tointeger(v) or v) end
    return "~num"
  end
  if t == "string" then return quote(v) end
  if t == "thread" then return "thread" end
  if t == "function" then return "function" end
  if t == "userdata" then return "socket" end
  if t == "table" and rawget(v, "socket") ~= nil then return "socket" end
  if getmetatable(v) == copas.timer then return "timer" end
  return "table"
end

local function pack(...) return { n = select("#", ...), ... } end

-- A result tuple: "[a, b]", trailing nils dropped (the port pads them; see driver.ts).
local function tup(p, coarse)
  local n = p.n
  while n > 0 and (p[n] == nil or p[n] == NULL) do n = n - 1 end
  local parts = {}
  for i = 1, n do parts[i] = fmt(p[i], coarse) end
  return "[" .. table.concat(parts, ", ") .. "]"
end

-- An error value as text: Lua's "file:line: " position prefix removed.
local function errtext(e)
  if type(e) == "table" and e[1] ~= nil then e = e[1] end
  local s, n = tostring(e), 1
  while n > 0 do s, n = s:gsub("^[^%s:]+:%d+: ", "") end
  return s
end

-- Names without addresses: "thread: 0x55..." -> "thread: <addr>", "tcp{server}: 0x55...:client_1"
-- -> "tcp{server}:client_1" (the port's tostring has no address).
local function noaddr(name)
  if type(name) ~= "string" then return name end
  if name:match("^thread: 0x%x+$") then return "thread: <addr>" end
  return (name:gsub(": 0x%x+", ""))
end

local function threadname(co)
  if co == nil then return "nil" end
  return tostring(noaddr(copas.getthreadname(co)))
end

---------------------------------------------------------------------------------------------
-- The peer
---------------------------------------------------------------------------------------------

local ctl
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function unhex(h) return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end

local function peer(cmd)
  local ok, err = copas.send(ctl, cmd .. "\n")
  if not ok then error("peer: control send failed: " .. tostring(err), 0) end
  local line, err2 = copas.receive(ctl, "*l")
  if not line then error("peer: control receive failed: " .. tostring(err2), 0) end
  return line
end

-- A peer answer as printed: "ok", "port", "data \"...\" eof", "log \"...\"".
local function peertext(line)
  local h, state = line:match("^data (%x*) (%S+)$")
  if h then return "data " .. quote(unhex(h)) .. " " .. state end
  local l = line:match("^log (%x*)$")
  if l then return "log " .. quote(unhex(l), true) end
  if line:match("^port %d+$") then return "port" end
  local dg, n = line:match("^dgrams (%S+) (%S+)$")
  if dg then
    local parts = {}
    for h in dg:gmatch("=(%x*)") do parts[#parts + 1] = quote(unhex(h)) end
    return "dgrams [" .. table.concat(parts, ", ") .. "] " .. n
  end
  return line
end

---------------------------------------------------------------------------------------------
-- The steps
---------------------------------------------------------------------------------------------

local function arg(v)
  if v == NULL then return nil end
  if type(v) == "table" then
    if type(v.rep) == "string" and v.n then return v.rep:rep(v.n) end
    local c = {}
    for k, x in pairs(v) do if k ~= "n" then c[k] = arg(x) end end
    return c
  end
  return v
end

local objs = {}      -- objects made by steps, by id (S: the data socket)
local threads = {}   -- threads made by spawn, by id
local ports = {}     -- ports of the peer's scripted servers, by kind
local run            -- run(steps, ctx)

local function sock(st)
  local s = objs[st.s or "S"]
  if st.w then return copas.wrap(s) end
  return s
end

-- "$item" in a log message: the worker's item; "$HTTP" etc in urls: the scripted server.
local function subst(s, ctx)
  if type(s) ~= "string" then return s end
  s = s:gsub("%$item", function() return tostring(ctx.item) end)
  s = s:gsub("%$(%u+)", function(k) return ports[k] and ("127.0.0.1:" .. ports[k]) or nil end)
  return s
end

local function fn_of(steps, ctx, ret)
  return function(...)
    local c = { item = (...), parent = ctx }
    run(steps or {}, c)
    if ret ~= nil then return arg(ret) end
  end
end

-- Arguments of `call`: "$S" is the data socket, "$fn" a function.
local function callarg(v)
  if v == "$S" then return objs.S end
  if v == "$fn" then return function() end end
  if type(v) == "table" and v ~= NULL and v.rep == nil then
    local c = {}
    for k, x in pairs(v) do if k ~= "n" then c[k] = callarg(x) end end
    return c
  end
  return arg(v)
end

local calls = {
  seterrorhandler = function(a, b) return copas.seterrorhandler(a, b) end,
  setthreadname = function(a, b) return copas.setthreadname(a, b) end,
  getthreadname = function(a) return copas.getthreadname(a) end,
  setsocketname = function(a, b) return copas.setsocketname(a, b) end,
  getsocketname = function(a) return copas.getsocketname(a) end,
  timeout = function(a, b) return copas.timeout(a, b) end,
  ["lock.new"] = function(a, b) return copas.lock.new(a, b) end,
  ["semaphore.new"] = function(a, b, c) return copas.semaphore.new(a, b, c) end,
  ["timer.new"] = function(a) return copas.timer.new(a) end,
  ["queue.new"] = function(a) return copas.queue.new(a) end,
  ["queue.add_worker"] = function(a) return copas.queue.new():add_worker(a) end,
  ["future.addthread"] = function(a) return copas.future.addthread(a) end,
  ["timer.arm"] = function(a)
    local t = copas.timer.new({ delay = 1, callback = function() end, initial_delay = 1000 })
    local ok, r1, r2 = pcall(t.arm, t, a)
    t:cancel()
    if not ok then error(r1, 0) end
    return r1, r2
  end,
}

local ops = {}

-- socket ops on S (or st.s)
function ops.receive(st)
  local s = sock(st)
  if st.w then return pack(s:receive(arg(st.pattern), arg(st.prefix))) end
  return pack(copas.receive(s, arg(st.pattern), arg(st.prefix)))
end
function ops.receivepartial(st)
  local s = sock(st)
  if st.w then return pack(s:receivepartial(arg(st.pattern), arg(st.prefix))) end
  return pack(copas.receivepartial(s, arg(st.pattern), arg(st.prefix)))
end
function ops.send(st)
  local s = sock(st)
  if st.w then return pack(s:send(arg(st.data), arg(st.i), arg(st.j))) end
  return pack(copas.send(s, arg(st.data), arg(st.i), arg(st.j)))
end
function ops.settimeout(st)
  local s = sock(st)
  if st.w then return pack(s:settimeout(arg(st.t))) end
  return pack(copas.settimeout(s, arg(st.t)))
end
function ops.settimeouts(st)
  local s = sock(st)
  if st.w then return pack(s:settimeouts(arg(st.connect), arg(st.send), arg(st.receive))) end
  return pack(copas.settimeouts(s, arg(st.connect), arg(st.send), arg(st.receive)))
end
function ops.close(st)
  local s = sock(st)
  if st.w then return pack(s:close()) end
  return pack(copas.close(s))
end
function ops.shutdown(st) return pack(sock(st):shutdown(arg(st.mode))) end
function ops.raw_receive(st) return pack(objs[st.s or "S"]:receive(arg(st.pattern), arg(st.prefix))) end
function ops.raw_send(st) return pack(objs[st.s or "S"]:send(arg(st.data), arg(st.i), arg(st.j))) end
function ops.raw_close(st) return pack(objs[st.s or "S"]:close()) end
function ops.setoption(st) return pack(sock(st):setoption(arg(st.name), arg(st.value))) end
function ops.getsocketname(st) return pack(noaddr(copas.getsocketname(objs[st.s or "S"]))) end
function ops.setsocketname(st) return pack(copas.setsocketname(arg(st.name), objs[st.s or "S"])) end

-- the peer
local function peerop(cmd)
  return function(st)
    local line = peer(cmd(st))
    if line:match("^port %d+$") and st.kind then ports[st.kind] = tonumber(line:match("%d+")) end
    return peertext(line)
  end
end
ops.peer_send = peerop(function(st) return "send " .. hex(arg(st.data)) end)
ops.peer_shutdown = peerop(function() return "shutdown" end)
ops.peer_close = peerop(function() return "close" end)
ops.peer_reset = peerop(function() return "reset" end)
ops.peer_recv = peerop(function(st) return "recv " .. st.n end)
ops.peer_recvall = peerop(function() return "recvall" end)
ops.peer_pause = peerop(function() return "pause" end)
ops.peer_resume = peerop(function() return "resume" end)
ops.peer_log = peerop(function() return "log" end)
ops.http_serve = peerop(function(st)
  st.kind = st.kind or "HTTP"
  local parts = { "http" }
  for i = 1, st.responses.n do parts[#parts + 1] = hex(arg(st.responses[i])) end
  return table.concat(parts, " ")
end)
ops.smtp_serve = peerop(function(st)
  st.kind = st.kind or "SMTP"
  local parts = { "smtp" }
  for i = 1, (st.replies and st.replies.n or 0) do parts[#parts + 1] = hex(arg(st.replies[i])) end
  return table.concat(parts, " ")
end)
ops.ftp_serve = peerop(function(st)
  st.kind = st.kind or "FTP"
  local parts = { "ftp" }
  for i = 1, (st.files and st.files.n or 0) do parts[#parts + 1] = hex(arg(st.files[i])) end
  return table.concat(parts, " ")
end)

-- UDP (U, or st.s): datagrams to and from the peer's UDP socket
local function udp(st) return objs[st.s or "U"] end
ops.peer_udp = peerop(function(st) st.kind = "UDP" return "udp" end)
ops.peer_udprecv = peerop(function(st) return "udprecv " .. st.n end)
ops.peer_udpsend = peerop(function(st) return "udpsend " .. hex(arg(st.data)) end)
function ops.udp_new(st)
  local u = socket.udp()
  u:settimeout(0)
  objs[st.s or "U"] = u
  return ""
end
function ops.udp_sendto(st) return pack(udp(st):sendto(arg(st.data), "127.0.0.1", ports.UDP)) end
function ops.udp_setpeername(st) return pack(udp(st):setpeername("127.0.0.1", ports.UDP)) end
function ops.udp_send(st) return pack(udp(st):send(arg(st.data))) end
function ops.udp_receive(st) return pack(copas.receive(udp(st), arg(st.size))) end
function ops.udp_receivefrom(st)
  local data, ip = copas.receivefrom(udp(st), arg(st.size))
  return pack(data, ip)
end
function ops.udp_close(st) return pack(udp(st):close()) end

-- starvation probes: a thread spins on pause(0), counting; others note the count (mark) when
-- something happens; markdiff tells whether event a came at most `max` rounds after event b.
local spins, marks = 0, {}
function ops.spin(st)
  local stop
  for _ = 1, st.max do
    copas.pause(0)
    spins = spins + 1
    if st.send_at == spins then
      -- a raw send on a local pair: the bytes are in the other end's kernel buffer at once
      objs[st.send_s]:send(arg(st.send_data))
      marks.sent = spins
    end
    if marks[st["until"]] and not stop then stop = spins + st.extra end
    if stop and spins >= stop then break end
  end
  return ""
end
function ops.mark(st) marks[st.name] = spins return "" end
-- a connected pair of TCP sockets inside the driver (a, b)
function ops.pair(st)
  local server = assert(socket.bind("127.0.0.1", 0))
  local _, port = server:getsockname()
  local a = assert(socket.connect("127.0.0.1", port))
  local b = assert(server:accept())
  server:close()
  a:settimeout(0)
  b:settimeout(0)
  objs[st.a], objs[st.b] = a, b
  return ""
end
function ops.markdiff(st)
  local a, b = marks[st.a], marks[st.b]
  if not a or not b then return "missing" end
  if a - b <= st.max then return "within " .. st.max end
  return "apart " .. (a - b)
end

-- threads and the dispatcher
function ops.spawn(st, ctx)
  local f = fn_of(st.steps, ctx)
  local t
  if st.name ~= nil and st.name ~= NULL then t = copas.addnamedthread(st.name, f) else t = copas.addthread(f) end
  threads[st.id] = t
  return pack(t)
end
function ops.log(st, ctx) return subst(st.msg or "", ctx) end
function ops.pause(st) copas.pause(arg(st.s)) return "" end
function ops.sleep(st) copas.sleep(arg(st.s)) return "" end
function ops.pauseforever() copas.pauseforever() return "" end
function ops.wakeup(st) return pack(copas.wakeup(threads[st.t])) end
function ops.removethread(st) return pack(copas.removethread(threads[st.t])) end
function ops.setthreadname(st)
  return pack(copas.setthreadname(arg(st.name), st.t and threads[st.t] or nil))
end
function ops.getthreadname(st) return threadname(st.t and threads[st.t] or coroutine.running()) end
function ops.timeout(st, ctx)
  local sid = st.sid
  local cb = st.cb
  return pack(copas.timeout(arg(st.delay), function(co)
    out(sid .. " timeout-cb " .. threadname(co))
    -- (Copas runs these callbacks outside threads; steps that may wait need one)
    if cb then copas.addthread(fn_of(cb, ctx)) end
  end))
end
function ops.exit() return pack(copas.exit()) end
function ops.exiting() return pack(copas.exiting()) end
function ops.waitforexit() return pack(copas.waitforexit()) end
function ops.call(st)
  local a = st.args or { n = 0 }
  local args = {}
  for i = 1, a.n do args[i] = callarg(a[i]) end
  return pack(calls[st.fn](table.unpack(args, 1, a.n)))
end

-- coordination
function ops.lock_new(st) objs[st.id] = copas.lock.new(arg(st.timeout), arg(st.notReentrant)) return "" end
function ops.lock_get(st) return pack(objs[st.id]:get(arg(st.timeout))) end
function ops.lock_release(st) return pack(objs[st.id]:release()) end
function ops.lock_destroy(st) return pack(objs[st.id]:destroy()) end
function ops.sem_new(st) objs[st.id] = copas.semaphore.new(arg(st.max), arg(st.start), arg(st.timeout)) return "" end
function ops.sem_take(st) return pack(objs[st.id]:take(arg(st.n), arg(st.timeout))) end
function ops.sem_give(st) return pack(objs[st.id]:give(arg(st.n))) end
function ops.sem_count(st) return pack(objs[st.id]:get_count()) end
function ops.sem_wait(st) return pack(objs[st.id]:get_wait()) end
function ops.sem_destroy(st) return pack(objs[st.id]:destroy()) end
function ops.queue_new(st)
  local q = copas.queue.new(st.name and { name = st.name } or nil)
  objs[st.id] = q
  return quote(q.name)
end
function ops.queue_push(st) return pack(objs[st.id]:push(arg(st.item))) end
function ops.queue_pop(st) return pack(objs[st.id]:pop(arg(st.timeout))) end
function ops.queue_finish(st) return pack(objs[st.id]:finish(arg(st.timeout), arg(st.keep))) end
function ops.queue_stop(st) return pack(objs[st.id]:stop()) end
function ops.queue_destroy(st) return pack(objs[st.id]:destroy()) end
function ops.queue_size(st) return pack(objs[st.id]:get_size()) end
function ops.queue_workers(st)
  local w, err = objs[st.id]:get_workers()
  if not w then return pack(w, err) end
  return pack(#w)
end
function ops.queue_add_worker(st, ctx)
  local sid, steps = st.sid, st.worker or {}
  local r = pack(objs[st.id]:add_worker(function(item)
    out(sid .. " worker " .. threadname(coroutine.running()) .. " " .. fmt(item))
    run(steps, { item = item, parent = ctx })
  end))
  if type(r[1]) == "thread" and st.t then threads[st.t] = r[1] end
  return r
end
function ops.future_new(st, ctx)
  local f = fn_of(st.steps, ctx, st.ret)
  if st.name then objs[st.id] = copas.future.addnamedthread(st.name, f)
  else objs[st.id] = copas.future.addthread(f) end
  return ""
end
function ops.future_get(st) return pack(objs[st.id]:get()) end
function ops.future_try(st) return pack(objs[st.id]:try()) end
function ops.future_cancel(st) return pack(objs[st.id]:cancel()) end
function ops.timer_new(st, ctx)
  local sid, steps = st.sid, st.cb or {}
  local t = copas.timer.new({
    name = arg(st.name), delay = arg(st.delay), initial_delay = arg(st.initial_delay),
    recurring = arg(st.recurring), params = arg(st.params),
    callback = function(timer_obj, params)
      out(sid .. " timer-cb " .. threadname(coroutine.running()) .. " " .. fmt(params))
      run(steps, { parent = ctx })
    end,
  })
  objs[st.id] = t
  return ""
end
function ops.timer_arm(st) return pack(objs[st.id]:arm(arg(st.delay))) end
function ops.timer_cancel(st) return pack(objs[st.id]:cancel()) end

-- clients
local function headerstext(h)
  if type(h) ~= "table" then return fmt(h) end
  local keys = {}
  for k in pairs(h) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. quote(tostring(h[k])) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function ops.http_request(st, ctx)
  local http = copas.http
  local r
  if st.params then
    local p = arg(st.params)
    p.url = subst(p.url, ctx)
    local chunks = {}
    if p.source then p.source = require("ltn12").source.string(p.source) end
    if p.sink == "table" then p.sink = require("ltn12").sink.table(chunks) end
    r = pack(http.request(p))
    if st.params.sink == "table" and r[1] ~= nil then r[1] = table.concat(chunks) end
  else
    r = pack(http.request(subst(st.url, ctx), arg(st.body)))
  end
  if r[1] == nil then return tup(r) end
  return "[" .. fmt(r[1]) .. ", " .. fmt(r[2]) .. ", " .. headerstext(r[3]) .. ", " .. fmt(r[4]) .. "]"
end

function ops.smtp_send(st)
  local smtp = copas.smtp
  local msg = arg(st.message)
  local body = msg.body
  if type(body) == "table" then
    local parts = {}
    for i, p in ipairs(body) do parts[i] = p end
    body = parts
  end
  local source = smtp.message({ headers = msg.headers, body = body })
  local rcpt = arg(st.rcpt)
  return pack(smtp.send({
    from = arg(st.from), rcpt = rcpt, source = source,
    server = "127.0.0.1", port = ports.SMTP, domain = arg(st.domain),
  }))
end

-- The table forms: host, port, path, user, password, type (+ source or sink).
local function ftpparams(st)
  local p = arg(st.params)
  p.host, p.port = "127.0.0.1", ports.FTP
  return p
end
function ops.ftp_get(st, ctx)
  if st.params then
    local chunks = {}
    local p = ftpparams(st)
    p.sink = require("ltn12").sink.table(chunks)
    local r = pack(copas.ftp.get(p))
    if r[1] ~= nil then r[1] = table.concat(chunks) end
    return r
  end
  return pack(copas.ftp.get(subst(st.url, ctx)))
end
function ops.ftp_put(st, ctx)
  if st.params then
    local p = ftpparams(st)
    p.source = require("ltn12").source.string(arg(st.data))
    return pack(copas.ftp.put(p))
  end
  return pack(copas.ftp.put(subst(st.url, ctx), arg(st.data)))
end

-- Runs steps in order. A step that throws prints "error: <text>"; op "error" throws out of the
-- thread (its error handler prints).
function run(steps, ctx)
  for i = 1, steps.n do
    local st = steps[i]
    if st.op == "error" then
      out(st.sid .. " throwing")
      error(st.msg, 0)
    end
    local f = ops[st.op]
    if not f then error("driver.lua: unknown op " .. tostring(st.op), 0) end
    local ok, r = pcall(f, st, ctx)
    if st.quiet then
      -- the step's result is not printed (its order against other threads is not fixed)
    elseif not ok then
      out(st.sid .. " error: " .. errtext(r))
    elseif type(r) == "table" then
      out(st.sid .. " " .. tup(r, st.coarse))
    elseif r == "" then
      out(st.sid)
    else
      out(st.sid .. " " .. tostring(r))
    end
  end
end

---------------------------------------------------------------------------------------------
-- Main
---------------------------------------------------------------------------------------------

copas.seterrorhandler(function(err, co, skt)
  out("errorhandler " .. quote(errtext(err)) .. " " .. threadname(co))
end, true)

ctl = assert(socket.connect("127.0.0.1", ctl_port))
ctl:settimeout(0)

copas.addnamedthread("main", function()
  if scenario.socket == "client" then
    local port = tonumber(peer(scenario.tls and "listen tls" or "listen"):match("^port (%d+)$"))
    local s = socket.tcp()
    local ok, err = copas.connect(s, "127.0.0.1", port)
    out("connect " .. tup(pack(ok, err)))
    if scenario.tls then
      local hs = pack(copas.dohandshake(s, arg(scenario.tls)))
      out("handshake " .. tup(hs))
      s = hs[1] or s
    end
    -- (after the handshake: the peer takes a TLS connection once its side of it is done)
    local accepted = peer("accept")
    if accepted ~= "ok" then error("peer: accept: " .. accepted, 0) end
    objs.S = s
    run(scenario.steps, {})
  elseif scenario.socket == "server" then
    local server = assert(socket.bind("127.0.0.1", 0))
    local _, sport = server:getsockname()
    copas.addserver(server, function(skt)
      copas.receive(ctl, "*l") -- the peer's answer to "connect": it is connected
      copas.removeserver(server)
      objs.S = skt
      out("handler " .. threadname(coroutine.running()) .. " " .. quote(noaddr(copas.getsocketname(skt))))
      run(scenario.steps, {})
    end, nil, arg(scenario.server))
    copas.send(ctl, "connect " .. sport .. "\n")
  else
    run(scenario.steps, {})
  end
end)

copas.loop()
out("END")
os.exit(0)
