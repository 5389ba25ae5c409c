// Properties of the dispatcher's arguments (see harness.ts): its constructor, thread and loop
// functions, error and name functions, and the socket ops (on a SimNetwork).
//

import { Copas, Thread, type AnySocket } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";
import { property, any, isFn, isNil, isNum, isPort, isStr, optFn, optNum, optStr, tuple, type Case, type World } from "./harness.js";

const isSocket = (_v: unknown): boolean => false; // arbitrary values are never sockets
const isThread = (v: unknown): boolean => v instanceof Thread;
const optThread = (v: unknown): boolean => isNil(v) || isThread(v);
const isData = (v: unknown): boolean => typeof v === "string" || v instanceof Uint8Array;
const optData = (v: unknown): boolean => isNil(v) || isData(v);
const isPattern = (v: unknown): boolean => isNil(v) || v === "*l" || v === "l" || v === "*a" || v === "a" || (isNum(v) && v >= 0 && v !== Infinity);
/** A table: a plain object, or one without a prototype. */
const plainObject = (v: unknown): boolean => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const p: unknown = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};
/** TLS parameters: none, or a non-empty table (LuaSec keys or Node TLS options, which ignore unknown keys). */
const optSsl = (v: unknown): boolean => isNil(v) || (plainObject(v) && Object.keys(v as object).length > 0);

async function pair(w: World): Promise<[AnySocket, AnySocket]> {
  return w.pair();
}

async function server(w: World): Promise<AnySocket> {
  const [s, err] = await w.net.socket.bind(`10.7.0.${Math.floor(w.clock.now()) % 200}`, 0);
  if (s === null) throw new Error(String(err));
  return s;
}

const cases: Case[] = [
  // The constructor.
  {
    name: "new Copas",
    arg: "options",
    valid: (v) => v === undefined || plainObject(v),
    call: (_w, v) => new Copas(v as never),
  },
  { name: "new Copas", arg: "options.network", valid: (v) => v === undefined, call: (_w, v) => new Copas({ network: v as never }) },
  {
    name: "new Copas",
    arg: "options.clock",
    valid: (v) => v === undefined,
    call: (_w, v) => new Copas({ clock: v as never }),
  },
  { name: "new Copas", arg: "options.trace", valid: any, call: (_w, v) => new Copas({ trace: v as never }) },
  { name: "new Copas", arg: "options.handshakeTimeout", valid: (v) => v === undefined || (isNum(v) && v > 0), call: (_w, v) => new Copas({ handshakeTimeout: v as never }) },
  {
    name: "handshakeTimeout",
    arg: "seconds",
    valid: (v) => isNum(v) && v > 0,
    call: (w, v) => {
      w.copas.handshakeTimeout = v as never;
    },
  },

  // Threads and the loop.
  { name: "addthread", arg: "fn", valid: isFn, call: (w, v) => w.copas.addthread(v as never) },
  { name: "addnamedthread", arg: "name", valid: optStr, call: (w, v) => w.copas.addnamedthread(v as never, function* () {}) },
  { name: "addnamedthread", arg: "fn", valid: isFn, call: (w, v) => w.copas.addnamedthread("n", v as never) },
  { name: "removethread", arg: "thread", valid: isThread, call: (w, v) => w.copas.removethread(v as never) },
  { name: "wakeup", arg: "thread", valid: isThread, call: (w, v) => w.copas.wakeup(v as never) },
  {
    name: "loop",
    // As Copas: a first argument that is not a function is the timeout, and named so.
    arg: "timeout",
    valid: (v) => isNil(v) || isFn(v) || isNum(v),
    call: (_w, v) => {
      const clock = new ManualClock();
      clock.autoAdvance = true;
      return new Copas({ network: new SimNetwork({ clock }) }).loop(v as never, 0);
    },
  },
  {
    name: "loop",
    arg: "timeout",
    valid: optNum,
    call: (_w, v) => {
      const clock = new ManualClock();
      clock.autoAdvance = true;
      return new Copas({ network: new SimNetwork({ clock }) }).loop(null, v as never);
    },
  },
  { name: "step", arg: "timeout", valid: optNum, call: (w, v) => w.copas.step(v as never), result: (r) => typeof r === "boolean" },
  { name: "pause", arg: "seconds", valid: optNum, inThread: true, call: (w, v) => w.copas.pause(v as never), result: (r) => typeof r === "number" },
  { name: "sleep", arg: "seconds", valid: optNum, inThread: true, call: (w, v) => w.copas.sleep(v as never), result: (r) => typeof r === "number" },
  {
    name: "timeout",
    arg: "delay",
    valid: isNum,
    // API.md: "negative throws" (Copas: an error "timout value must be greater than or equal to 0").
    documented: (v, e) => isNum(v) && v < 0 && e instanceof RangeError,
    inThread: true,
    call: (w, v) => w.copas.timeout(v as never),
  },
  { name: "timeout", arg: "callback", valid: optFn, inThread: true, call: (w, v) => w.copas.timeout(1, v as never) },

  // Errors and names.
  { name: "seterrorhandler", arg: "fn", valid: isFn, call: (w, v) => w.copas.seterrorhandler(v as never, true) },
  { name: "seterrorhandler", arg: "fn", valid: optFn, inThread: true, call: (w, v) => w.copas.seterrorhandler(v as never) },
  {
    name: "geterrorhandler",
    arg: "thread",
    valid: optThread,
    call: (w, v) => w.copas.geterrorhandler(v as never),
  },
  { name: "gettraceback", arg: "msg", valid: any, call: (w, v) => w.copas.gettraceback(v), result: (r) => typeof r === "string" },
  { name: "gettraceback", arg: "thread", valid: optThread, call: (w, v) => w.copas.gettraceback("m", v as never), result: (r) => typeof r === "string" },
  { name: "gettraceback", arg: "skt", valid: isNil, call: (w, v) => w.copas.gettraceback("m", null, v), result: (r) => typeof r === "string" },
  { name: "setthreadname", arg: "name", valid: isStr, inThread: true, call: (w, v) => w.copas.setthreadname(v as never) },
  { name: "setthreadname", arg: "thread", valid: isThread, call: (w, v) => w.copas.setthreadname("n", v as never) },
  { name: "getthreadname", arg: "thread", valid: isThread, call: (w, v) => w.copas.getthreadname(v as never) },
  { name: "setsocketname", arg: "name", valid: isStr, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.setsocketname(v as never, c!) },
  { name: "setsocketname", arg: "skt", valid: isSocket, call: (w, v) => w.copas.setsocketname("n", v as never) },
  { name: "getsocketname", arg: "skt", valid: isSocket, call: (w, v) => w.copas.getsocketname(v as never) },
  { name: "usesockettimeouterrors", arg: "flag", valid: any, inThread: true, call: (w, v) => w.copas.usesockettimeouterrors(v as never) },
  { name: "status", arg: "enableStats", valid: any, call: (w, v) => w.copas.status(v as never) },
  { name: "await", arg: "p", valid: any, inThread: true, call: (w, v) => w.copas.await(v) },

  // Servers.
  {
    name: "addserver",
    arg: "server",
    valid: isSocket,
    call: (w, v) => w.copas.addserver(v as never, function* () {}),
  },
  {
    name: "addserver",
    arg: "handler",
    valid: isFn,
    prepare: server,
    fresh: true,
    call: (w, v, s: AnySocket) => {
      w.copas.addserver(s, v as never);
      w.copas.removeserver(s);
    },
  },
  {
    name: "addserver",
    arg: "timeout",
    valid: optNum,
    prepare: server,
    fresh: true,
    call: (w, v, s: AnySocket) => {
      w.copas.addserver(s, function* () {}, v as never);
      w.copas.removeserver(s);
    },
  },
  {
    name: "addserver",
    arg: "name",
    valid: optStr,
    prepare: server,
    fresh: true,
    call: (w, v, s: AnySocket) => {
      w.copas.addserver(s, function* () {}, null, v as never);
      w.copas.removeserver(s);
    },
  },
  { name: "removeserver", arg: "server", valid: isSocket, call: (w, v) => w.copas.removeserver(v as never) },
  { name: "removeserver", arg: "keepOpen", valid: any, prepare: server, fresh: true, call: (w, v, s: AnySocket) => (w.copas.addserver(s, function* () {}), w.copas.removeserver(s, v as never)) },

  // Socket ops.
  { name: "receive", arg: "skt", valid: isSocket, call: (w, v) => w.copas.receive(v as never) },
  {
    name: "receive",
    arg: "pattern",
    valid: isPattern,
    prepare: pair,
    call: (w, v, [c]: AnySocket[]) => w.copas.receive(c!, v as never),
    result: tuple,
  },
  { name: "receive", arg: "prefix", valid: optData, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.receive(c!, 1, v as never), result: tuple },
  {
    name: "receivepartial",
    arg: "pattern",
    valid: isPattern,
    prepare: pair,
    call: (w, v, [c]: AnySocket[]) => w.copas.receivepartial(c!, v as never),
    result: tuple,
  },
  { name: "send", arg: "skt", valid: isSocket, call: (w, v) => w.copas.send(v as never, "x") },
  { name: "send", arg: "data", valid: isData, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.send(c!, v as never), result: tuple },
  {
    name: "send",
    arg: "i",
    // LuaSocket floors a fractional index.
    valid: (v) => isNil(v) || (isNum(v) && Number.isFinite(v)),
    prepare: pair,
    call: (w, v, [c]: AnySocket[]) => w.copas.send(c!, "abc", v as never),
    result: tuple,
  },
  {
    name: "send",
    arg: "j",
    valid: (v) => isNil(v) || (isNum(v) && Number.isFinite(v)),
    prepare: pair,
    call: (w, v, [c]: AnySocket[]) => w.copas.send(c!, "abc", 1, v as never),
    result: tuple,
  },
  { name: "connect", arg: "skt", valid: isSocket, call: (w, v) => w.copas.connect(v as never, "h", 1) },
  { name: "connect", arg: "host", valid: isStr, prepare: (w) => w.net.socket.tcp(), fresh: true, call: (w, v, s: AnySocket) => w.copas.connect(s, v as never, 1), result: tuple },
  { name: "connect", arg: "port", valid: isPort, prepare: (w) => w.net.socket.tcp(), fresh: true, call: (w, v, s: AnySocket) => w.copas.connect(s, "h", v as never), result: tuple },
  { name: "close", arg: "skt", valid: isSocket, call: (w, v) => w.copas.close(v as never) },
  { name: "settimeout", arg: "skt", valid: isSocket, call: (w, v) => w.copas.settimeout(v as never, 1) },
  { name: "settimeout", arg: "t", valid: optNum, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.settimeout(c!, v as never) },
  { name: "settimeouts", arg: "connect", valid: optNum, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.settimeouts(c!, v as never) },
  { name: "settimeouts", arg: "send", valid: optNum, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.settimeouts(c!, 1, v as never) },
  { name: "settimeouts", arg: "receive", valid: optNum, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.settimeouts(c!, 1, 1, v as never) },
  { name: "wrap", arg: "skt", valid: isSocket, call: (w, v) => w.copas.wrap(v as never) },
  {
    name: "wrap",
    arg: "sslparams",
    valid: optSsl,
    prepare: pair,
    call: (w, v, [c]: AnySocket[]) => w.copas.wrap(c!, v),
  },
  { name: "handler", arg: "fn", valid: isFn, call: (w, v) => w.copas.handler(v as never) },
  {
    name: "handler",
    arg: "sslparams",
    valid: optSsl,
    call: (w, v) => w.copas.handler(function* () {}, v),
  },

  // A wrapped socket's ops.
  {
    name: "wrapped receive",
    arg: "pattern",
    valid: isPattern,
    prepare: pair,
    call: (w, v, [c]: AnySocket[]) => w.copas.wrap(c!).receive(v as never),
    result: tuple,
  },
  { name: "wrapped send", arg: "data", valid: isData, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.wrap(c!).send(v as never), result: tuple },
  { name: "wrapped settimeout", arg: "t", valid: optNum, prepare: pair, call: (w, v, [c]: AnySocket[]) => w.copas.wrap(c!).settimeout(v as never) },
  { name: "wrapped connect", arg: "port", valid: isPort, prepare: (w) => w.copas.wrap(w.net.socket.tcp()), fresh: true, call: (_w, v, s: { connect(h: string, p: unknown): unknown }) => s.connect("h", v), result: tuple },
];

describe("properties: dispatcher's bad arguments", function () {
  this.timeout(60000);
  for (const c of cases) property(c);
});
