// The known, deliberate differences between Lua Copas 4.11 + LuaSocket 3.1 and this port: the
// ONE list. The oracle (harness.ts) accepts a difference between the two runs only if one of
// these explains it; anything else is reported as a failure with both outputs. Each entry says
// why the port differs (README.md, "Porting from Lua", says the same to users).
//
// An entry either explains a pair of lines (`pair`: Lua's line and the port's, at the same place)
// or a line only one side printed (`only`), or is a rule the drivers follow (`rule`, no matcher:
// the scenarios are written so it cannot show). Lines look like "<sid> <result>" (see
// driver.lua); `step` is the step that printed, when the line has a sid.

import { findStep, type Scenario, type Step } from "./scenario.js";

/** Both runs, for entries that look beyond one line. */
export interface Context {
  scenario: Scenario;
  lua: string[];
  port: string[];
}

export interface Difference {
  id: string;
  /** What differs, and why the port does it that way. */
  reason: string;
  /** Explains Lua's line `lua` against the port's `port` (same place in both outputs). */
  pair?: (lua: string, port: string, step: Step | undefined, ctx: Context) => boolean;
  /** Explains a line printed by one side only. */
  only?: (side: "lua" | "port", line: string, step: Step | undefined, ctx: Context) => boolean;
}

const sidOf = (line: string) => line.split(" ", 1)[0]!;

/** Every step of a list, nested ones after their parent, in order. */
function flatten(steps: Step[]): Step[] {
  const out: Step[] = [];
  for (const st of steps) {
    out.push(st);
    for (const key of ["steps", "cb", "worker"]) if (Array.isArray(st[key])) out.push(...flatten(st[key] as Step[]));
  }
  return out;
}

/**
 * True if `line` (the port's) belongs to a thread that Lua never resumed from some step X on,
 * X being one of `ops`: every line Lua printed for that thread comes before X, and `line` is X's
 * or a later one. (Thread = steps whose sids share the prefix: "2.B.1", "2.B.2", ...)
 */
function stuckInLua(line: string, ctx: Context, ops: string[]): boolean {
  const sid = sidOf(line);
  const cut = sid.lastIndexOf(".");
  const prefix = sid.slice(0, cut + 1);
  const num = (l: string): number | null => {
    const s = sidOf(l);
    if (!s.startsWith(prefix)) return null;
    const rest = s.slice(prefix.length);
    return /^\d+$/.test(rest) ? Number(rest) : null;
  };
  const me = num(line);
  if (me === null) return false;
  const luaMax = Math.max(0, ...ctx.lua.map(num).filter((n): n is number => n !== null));
  const portNums = ctx.port.map(num).filter((n): n is number => n !== null && n > luaMax);
  if (portNums.length === 0 || me <= luaMax) return false;
  const x = Math.min(...portNums);
  // X is the first step after Lua's last printed one that printed on the port; the steps in
  // between printed nothing, so X itself or one before it is where Lua stopped.
  for (let k = luaMax + 1; k <= x; k++) {
    const st = findStep(ctx.scenario, prefix + k);
    if (st && ops.includes(st.op)) return true;
  }
  return false;
}

/** "<sid> <rest>" -> [sid, rest]. */
function split(line: string): [string, string] {
  const i = line.indexOf(" ");
  return i < 0 ? [line, ""] : [line.slice(0, i), line.slice(i + 1)];
}

/** Lua's `[nil, "closed", "<p>"]` -> p (quoted form), else null. */
function closedPartial(rest: string): string | null {
  const m = /^\[nil, "closed", (".*"|<\d+ bytes fnv=[0-9a-f]+>)\]$/.exec(rest);
  return m ? m[1]! : null;
}

export const DIFFERENCES: Difference[] = [
  {
    id: "typeerror-text",
    reason:
      "A bad argument throws a TypeError that names the argument and what it accepts, and contains " +
      "Copas's own assert/error text (so code matching Copas's message still matches); Lua raises " +
      "the bare text, or returns it as nil, msg (copas.settimeout).",
    pair(lua, port) {
      const [ls, lr] = split(lua);
      const [ps, pr] = split(port);
      if (ls !== ps) return false;
      // Copas raises (error/assert), or returns nil, msg (settimeout, ...).
      const l = /^error: (.*)$/.exec(lr) ?? /^\[nil, "(.*)"\]$/.exec(lr);
      const p = /^error: TypeError: (.*)$/.exec(pr);
      return !!l && !!p && l[1]!.length > 0 && p[1]!.includes(l[1]!);
    },
  },
  {
    id: "typeerror-where-lua-fails-later",
    reason:
      "Arguments Copas does not check (it fails later, or not at all, with a Lua runtime error " +
      "such as \"attempt to compare number with nil\") are TypeErrors at the call in the port.",
    pair(lua, port) {
      const [ls, lr] = split(lua);
      const [ps, pr] = split(port);
      return ls === ps && /^error: (attempt to |bad argument #)/.test(lr) && /^error: TypeError: /.test(pr);
    },
  },
  {
    id: "star-a-several-tries",
    reason:
      'receive("*a") succeeds when the peer closes after sending anything during the operation, ' +
      "however many tries it took; LuaSocket looks only at the last try's bytes, so Copas returns " +
      '[nil, "closed", data] when the close came in a later try than the data (upstream bug).',
    pair(lua, port, step) {
      if (!step || !/^(receive|receivepartial)$/.test(step.op) || typeof step.pattern !== "string" || !/^\*?a/.test(step.pattern)) return false;
      const [ls, lr] = split(lua);
      const [ps, pr] = split(port);
      const partial = closedPartial(lr);
      return ls === ps && partial !== null && partial !== '""' && pr === `[${partial}]`;
    },
  },
  {
    id: "short-patterns",
    reason:
      'The port accepts "l" and "a" as well as "*l" and "*a" (LuaSocket 3.1 raises "invalid ' +
      'receive pattern" for them): they are the patterns of Lua 5.3\'s io.read, which porters type.',
    pair(lua, port, step) {
      if (!step || (step.pattern !== "l" && step.pattern !== "a")) return false;
      const [ls, lr] = split(lua);
      const [ps] = split(port);
      return ls === ps && /invalid receive pattern/.test(lr);
    },
  },
  {
    id: "luasocket-version",
    reason:
      'http.USERAGENT and the SMTP x-mailer say "LuaSocket 3.1.0", the release the port follows; ' +
      "Debian's LuaSocket 3.1.0 package still reports socket._VERSION = \"LuaSocket 3.0.0\".",
    pair(lua, port) {
      return lua !== port && lua.split("LuaSocket 3.0.0").join("LuaSocket 3.1.0") === port;
    },
  },
  {
    id: "timeout-cancelled-at-thread-end",
    reason:
      "A thread's copas.timeout() is cancelled when the thread ends (Copas leaves it armed, and its " +
      "callback fires later for a thread that is gone).",
    only(side, line) {
      return side === "lua" && / timeout-cb /.test(line);
    },
  },
  {
    id: "http-header-bound",
    reason:
      "The http client bounds a response's header block at 64 KiB (MAXHEADERSIZE, \"oversized\") " +
      "and each header line at 64 KiB (MAXLINE, \"header line too long ...\"); LuaSocket 3.1 reads " +
      "headers without a bound.",
    pair(lua, port, step) {
      if (!step || step.op !== "http_request") return false;
      const [ls] = split(lua);
      const [ps, pr] = split(port);
      return ls === ps && /^\[nil, "(oversized|header line too long [^"]*)"\]$/.test(pr);
    },
  },
  {
    id: "shutdown-both-input",
    reason:
      "After shutdown(\"both\") the port stops reading: input the peer sends later stays unread in " +
      "the kernel, and the peer learns it was not taken from the reset close() sends. Node cannot " +
      "shut a socket's read side, so the kernel does not reset the connection as that input " +
      "arrives, as Linux does for LuaSocket: until the close, the peer sees the end (FIN) of a " +
      "half-closed connection where Lua's sees a reset.",
    pair(lua, port, step, ctx) {
      if (!step || (step.op !== "peer_recvall" && step.op !== "peer_recv")) return false;
      if (!(lua.endsWith(" reset") && port === lua.replace(/ reset$/, " eof"))) return false;
      // a shutdown of both directions, then the peer sent, before this step
      let shut = false;
      let sentAfter = false;
      for (const st of flatten(ctx.scenario.steps)) {
        if (st === step) break;
        if (st.op === "shutdown" && (st.mode === undefined || st.mode === null || st.mode === "both")) shut = true;
        if (shut && st.op === "peer_send") sentAfter = true;
      }
      return sentAfter;
    },
  },
  {
    id: "close-with-unread-input",
    reason:
      "Closing a socket whose input was not read: Lua's kernel holds that input and answers the " +
      "close with a reset (which the peer may see, or not, depending on when it reads); the port " +
      "has already read the input into its own buffer, so the kernel ends with a FIN (README: " +
      "what send and close guarantee).",
    pair(lua, port, step, ctx) {
      if (!step || (step.op !== "peer_recvall" && step.op !== "peer_recv")) return false;
      if (!(lua.endsWith(" reset") && port === lua.replace(/ reset$/, " eof"))) return false;
      // the peer sent something the driver did not read before it closed
      let unread = false;
      for (const st of flatten(ctx.scenario.steps)) {
        if (st === step) break;
        if (st.op === "peer_send") unread = true;
        if (/receive/.test(st.op) && (st.pattern === "*a" || st.pattern === "a")) unread = false;
        if (st.op === "close" && unread) return true;
      }
      return false;
    },
  },
  {
    id: "timer-cancel-returns-true",
    reason:
      "timer:cancel() returns [true, null] (the contract, API.md: like the other modules' calls); " +
      "Copas returns the timer object.",
    pair(lua, port, step) {
      return step?.op === "timer_cancel" && lua.endsWith(" [timer]") && port === lua.replace(/ \[timer\]$/, " [true]");
    },
  },
  {
    id: "exit-wakes-every-waitforexit",
    reason:
      "exit() resumes every thread in waitforexit(), and a destroyed semaphore releases all its " +
      "waiters with \"destroyed\"; Copas's semaphore:destroy() gives only up to max resources, " +
      "so with its exit semaphore (max 1) only the first waitforexit() thread resumes and the " +
      "others are left asleep for ever.",
    only(side, line, _step, ctx) {
      return side === "port" && stuckInLua(line, ctx, ["waitforexit", "sem_take"]);
    },
  },
  {
    id: "several-readers-served",
    reason:
      "Several threads waiting on one socket are all served, in FIFO order; Copas keeps one " +
      "waiter per socket and direction, so a later one is dropped after the first wake-up and " +
      "never resumes.",
    only(side, line, _step, ctx) {
      return side === "port" && stuckInLua(line, ctx, ["receive", "receivepartial", "send"]);
    },
  },
  {
    id: "ftp-string-form",
    reason:
      "copas.ftp.get(url) and copas.ftp.put(url, body) work; in Copas 4.11 they raise \"attempt to " +
      "index a nil value\" (its parseRequest returns nothing, upstream bug).",
    pair(lua, port, step) {
      return (step?.op === "ftp_get" || step?.op === "ftp_put") && !step.params && /^\S+ error: attempt to index a nil value \(local '(gett|putt)'\)$/.test(lua) && sidOf(lua) === sidOf(port);
    },
  },
  {
    id: "ftp-put",
    reason:
      "copas.ftp.put(params) works; in Copas 4.11 it raises \"attempt to call a nil value (method " +
      "'getfd')\": LuaSocket's put selects on the control connection, which a copas-wrapped socket " +
      "cannot be (upstream bug). So the server also sees the upload and the QUIT.",
    pair(lua, port, step) {
      if (step?.op === "ftp_put") return /^\S+ error: attempt to call a nil value \(method 'getfd'\)$/.test(lua) && sidOf(lua) === sidOf(port);
      // the server's log after such a put: the port's has the upload and a QUIT that Lua's lacks
      if (step?.op !== "peer_log") return false;
      const strip = (l: string) => l.replace(/STORED .*?\\x0a/g, "").replace(/(STOR [^\\]*\\x0a)QUIT\\x0a/g, "$1");
      return /STOR /.test(lua) && strip(port) === strip(lua);
    },
  },
  {
    id: "tls-send-after-failure",
    reason:
      "After a send failed on a TLS connection the peer closed, the next send fails with \"closed\", " +
      "as on plain TCP; LuaSec reports OpenSSL's \"bad length\" (a retried SSL_write with other data).",
    pair(lua, port, step) {
      return step?.op === "send" && sidOf(lua) === sidOf(port) && /^\S+ \[nil, "bad length"/.test(lua) && /^\S+ \[nil, "closed"/.test(port);
    },
  },
  {
    id: "http-chunked-request-header",
    reason:
      "A request body of unknown length (a source, no content-length) is sent chunked with its " +
      "\"Transfer-Encoding: chunked\" header; LuaSocket 3.1 sends the chunks without the header, " +
      "so a server reads no body (upstream bug).",
    pair(lua, port, step) {
      if (step?.op !== "peer_log") return false;
      const norm = (l: string) => l.split("LuaSocket 3.0.0").join("LuaSocket 3.1.0");
      return /Transfer-Encoding: chunked\\x0d\\x0a/.test(port) && port.replace("Transfer-Encoding: chunked\\x0d\\x0a", "") === norm(lua);
    },
  },
  // ---- rules: differences the drivers and scenarios are written around (no matcher) ----
  {
    id: "rule:settle-after-peer",
    reason:
      "Node reads sockets in its event loop's poll phase, LuaSocket reads the kernel directly: after " +
      "each answer of the scripted peer the port's driver lets the event loop turn once " +
      "(setImmediate), so data the peer wrote before answering is in the port's buffer, as it is " +
      "in the kernel for Lua. Between the driver's own steps there is no such turn.",
  },
  {
    id: "rule:fairness",
    reason:
      "Copas pauses a thread at random in about one socket operation in ten; the port every " +
      "FAIRNESS_INTERVAL (10) operations. driver.lua turns the random pause off and scenarios " +
      "where thread order matters do fewer than 10 operations in a row.",
  },
  {
    id: "rule:timer-precision",
    reason:
      "Copas fires socket timeouts and copas.timeout() from a timer wheel stepped every 0.1 s; the " +
      "port's timers are exact. Scenarios keep competing timers at least 0.2 s apart.",
  },
  {
    id: "rule:names",
    reason:
      "Default names hold addresses in Lua (\"thread: 0x...\", \"tcp{client}: 0x...\"); the port's " +
      "tostring has no address suffix. Both drivers print them without the address.",
  },
  {
    id: "rule:tuples",
    reason:
      "The port pads result tuples with null to the length of the function's failure form (the " +
      "contract); driver.ts checks that length (a wrong one prints \"!len=N\") and drops the " +
      "padding, as driver.lua drops Lua's trailing nils.",
  },
  {
    id: "rule:error-handler",
    reason:
      "The default error handler writes to stderr (Copas prints to stdout); both drivers install " +
      "their own handler, which prints the error and the thread's name.",
  },
  {
    id: "rule:semaphore-handout",
    reason:
      "When a waiter's big request times out, the port hands what the semaphore holds to the " +
      "waiters behind it at once; Copas leaves them waiting until the next give(). No scenario " +
      "times out a waiter that others wait behind.",
  },
  {
    id: "rule:https-verifies",
    reason:
      "https verifies the server's certificate and host name by default (Copas does not: its bug " +
      "#222); the oracle has no TLS scenario against an unverifiable server.",
  },
];

/** The entry that explains this pair of lines, if any. */
export function explainPair(lua: string, port: string, step: Step | undefined, ctx: Context): Difference | undefined {
  return DIFFERENCES.find((d) => d.pair?.(lua, port, step, ctx));
}

/** The entry that explains a line printed by one side only, if any. */
export function explainOnly(side: "lua" | "port", line: string, step: Step | undefined, ctx: Context): Difference | undefined {
  return DIFFERENCES.find((d) => d.only?.(side, line, step, ctx));
}
