// The bodies of copas's socket and scheduling ops: one module-level generator function per op
// (no closure made per call). Each tries the non-blocking LuaSocket call first and returns at
// once when the result is there; only a "timeout" (or LuaSec's "wantread"/"wantwrite") parks
// the thread on the socket, and the op tries again when the socket is ready, as Copas does.

import type { Copas } from "./dispatcher.js";
import { READ, WRITE, type Selectable } from "../socket/select.js";
import { isAllPattern } from "../socket/patterns.js";
import { SUSPEND } from "./trampoline.js";
import { isYieldable } from "../common/yieldable.js";
import type { Data, OkResult, Op, Pattern, ReceiveResult, SendResult } from "../common/types.js";
import { normalizeSsl, type CopasSocket } from "./wrap.js";
import type { Semaphore } from "../sync/semaphore.js";

/** Largest UDP datagram copas receives by default (as Copas's UDP_DATAGRAM_MAX). */
export const UDP_DATAGRAM_MAX = 8192;

interface StreamOps {
  receive(pattern?: Pattern | null, prefix?: Data | null): ReceiveResult<Data>;
  send(data: Data, i?: number | null, j?: number | null): SendResult;
  connect(host: string, port: number): OkResult;
  settimeout?(t: number): unknown;
}

interface DatagramOps {
  receive(size?: number): [Data, null] | [null, string];
  receivefrom(size?: number): [Data, string, number] | [null, string, null?];
}

function isTimeout(err: string): boolean {
  return err === "timeout" || err === "wantread" || err === "wantwrite";
}

function len(d: Data | null | undefined): number {
  return d === null || d === undefined ? 0 : d.length;
}

export function* pause(d: Copas, seconds: number): Op<number> {
  const t = d._self("pause");
  if (seconds === 0) {
    // pause(0) is the hot path of cooperative code: time it by step starts (a clock read per
    // step rather than two per pause). The thread resumes in a later step, so this is >= 0.
    const s0 = d._stepTime;
    d._sleep(t, 0);
    yield SUSPEND;
    return d._stepTime - s0;
  }
  const c = d._clock;
  const s0 = c.now();
  d._sleep(t, seconds);
  yield SUSPEND;
  return c.now() - s0;
}

/** Waits on the dispatcher's exit semaphore, which exit() destroys (as Copas 4.11). */
export function* waitforexit(exitSema: Semaphore): Op<void> {
  yield* exitSema.take(1);
}

export function* receive(
  d: Copas,
  s: Selectable,
  pattern: Pattern | null | undefined,
  prefix: Data | null | undefined,
  partial: boolean,
): Op<ReceiveResult<Data>> {
  const t = d._self(partial ? "receivepartial" : "receive");
  const sock = s as unknown as StreamOps;
  const pat = pattern ?? "*l";
  const all = isAllPattern(pat);
  const origLen = len(prefix);
  let part = prefix;
  d._opBegin(t, 2);
  for (;;) {
    const r = sock.receive(pat, part);
    if (r[0] !== null) {
      d._opEnd(t);
      if (d._fair(t)) yield* pause(d, 0);
      return r;
    }
    const err = r[1];
    if (!isTimeout(err)) {
      d._opEnd(t);
      // "*a" ends well when the peer closes after sending anything during this op, however
      // many tries it took (LuaSocket only looks at the last try).
      if (all && err === "closed" && len(r[2]) > origLen) return [r[2]!, null, null];
      return r;
    }
    if (partial && len(r[2]) > origLen) {
      d._opEnd(t);
      return r;
    }
    if (t._timedOut) {
      d._opEnd(t);
      return [null, t._socketTimeoutErrors ? err : "timeout", r[2]];
    }
    part = r[2];
    d._block(t, s, err === "wantwrite" ? WRITE : READ);
    yield SUSPEND;
  }
}

export function* send(d: Copas, s: Selectable, data: Data, i: number | undefined, j: number | undefined): Op<SendResult> {
  const t = d._self("send");
  const sock = s as unknown as StreamOps;
  let last = (i ?? 1) - 1;
  let first = true;
  d._opBegin(t, 1);
  for (;;) {
    const r = sock.send(data, first ? (i ?? 1) : last + 1, j);
    first = false;
    if (r[0] !== null) {
      d._opEnd(t);
      if (d._fair(t)) yield* pause(d, 0);
      return r;
    }
    const err = r[1];
    last = r[2];
    if (!isTimeout(err)) {
      d._opEnd(t);
      return r;
    }
    if (t._timedOut) {
      d._opEnd(t);
      return [null, t._socketTimeoutErrors ? err : "timeout", last];
    }
    d._block(t, s, err === "wantread" ? READ : WRITE);
    yield SUSPEND;
  }
}

export function* connect(d: Copas, s: Selectable, host: string, port: number): Op<OkResult> {
  const t = d._self("connect");
  const sock = s as unknown as StreamOps;
  sock.settimeout?.(0);
  let tried = false;
  d._opBegin(t, 0);
  for (;;) {
    const r = sock.connect(host, port);
    const err = r[1];
    if (r[0] !== null || (err !== "timeout" && err !== "Operation already in progress")) {
      d._opEnd(t);
      if (r[0] === null && err === "already connected" && tried) return [1, null];
      return r;
    }
    if (t._timedOut) {
      d._opEnd(t);
      return [null, t._socketTimeoutErrors ? err : "timeout"];
    }
    tried = true;
    d._block(t, s, WRITE);
    yield SUSPEND;
  }
}

/**
 * UDP receive: `receivefrom` (`from`: the result is `[data, ip, port]`) or `receive` (the result
 * is `[data, null, null]`); either way `[null, err, null]` on failure.
 */
export function* receiveDatagram(
  d: Copas,
  s: Selectable,
  size: number | undefined,
  from: boolean,
): Op<[Data, string | null, number | null] | [null, string, null]> {
  const t = d._self(from ? "receivefrom" : "receive");
  const sock = s as unknown as DatagramOps;
  d._opBegin(t, 2);
  for (;;) {
    const r = from ? sock.receivefrom(size ?? UDP_DATAGRAM_MAX) : sock.receive(size ?? UDP_DATAGRAM_MAX);
    if (r[0] !== null) {
      d._opEnd(t);
      if (d._fair(t)) yield* pause(d, 0);
      return from ? (r as [Data, string, number]) : [r[0], null, null];
    }
    const err = r[1];
    if (err !== "timeout") {
      d._opEnd(t);
      return [null, err, null];
    }
    if (t._timedOut) {
      d._opEnd(t);
      return [null, "timeout", null];
    }
    d._block(t, s, READ);
    yield SUSPEND;
  }
}

function* runHandler(
  d: Copas,
  fn: (skt: CopasSocket, ...a: unknown[]) => unknown,
  sslparams: unknown,
  skt: unknown,
  args: unknown[],
): Op<unknown> {
  const w = d.wrap(skt as Selectable, sslparams);
  if (!(yield* w._serverHandshake())) {
    // The handshake timed out: the client is dropped, the handler never runs (Copas #189).
    w.close();
    return undefined;
  }
  const r = fn(w, ...args);
  return isYieldable(r) ? yield r : r;
}

export function makeHandler(
  d: Copas,
  fn: (skt: CopasSocket, ...a: unknown[]) => unknown,
  sslparams: unknown,
): (skt: unknown, ...args: unknown[]) => Op<unknown> {
  normalizeSsl(sslparams, "handler"); // bad parameters fail here, not in each client's thread
  return (skt: unknown, ...args: unknown[]) => runHandler(d, fn, sslparams, skt, args);
}
