// The bodies of copas's socket and scheduling ops: one module-level generator function per op
// (no closure made per call). Each tries the non-blocking LuaSocket call first and returns at
// once when the result is there; only a "timeout" (or LuaSec's "wantread"/"wantwrite") parks
// the thread on the socket, and the op tries again when the socket is ready, as Copas does.

import { READ, WRITE, type Selectable } from "../socket/select.js";
import { isAllPattern } from "../socket/patterns.js";
import { SUSPEND } from "./trampoline.js";
import { isYieldable } from "../common/yieldable.js";
import type { Data, OkResult, Op, Pattern, ReceiveResult, SendResult } from "../common/types.js";
import { normalizeSsl, type CopasSocket } from "./wrap.js";
import { TimeoutKind, type Kernel } from "./kernel.js";


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

export function* pause(k: Kernel, seconds: number): Op<number> {
  const t = k.self("pause");
  if (seconds === 0) {
    // pause(0) is the hot path of cooperative code: time it by step starts (a clock read per
    // step rather than two per pause). The thread resumes in a later step, so this is >= 0.
    const s0 = k.stepTime();
    k.sleep(t, 0);
    yield SUSPEND;
    return k.stepTime() - s0;
  }
  const c = k.clock;
  const s0 = c.now();
  k.sleep(t, seconds);
  yield SUSPEND;
  return c.now() - s0;
}

/**
 * Waits until exit() is called, as Copas 4.11's take on its exit semaphore with no time
 * limit: the thread's own timeout is cancelled, a stray wakeup() does not end the wait, and
 * exit() wakes the waiting threads in the order they came.
 */
export function* waitforexit(k: Kernel): Op<void> {
  const t = k.self("waitforexit");
  if (k.exitWait(t)) return;
  k.dispatcher.timeout(0);
  try {
    do {
      k.sleep(t, -1);
      yield SUSPEND;
    } while (!k.dispatcher.exiting());
  } finally {
    k.exitLeave(t);
  }
}

export function* receive(
  k: Kernel,
  s: Selectable,
  pattern: Pattern | null | undefined,
  prefix: Data | null | undefined,
  partial: boolean,
): Op<ReceiveResult<Data>> {
  const t = k.self(partial ? "receivepartial" : "receive");
  const sock = s as unknown as StreamOps;
  const pat = pattern ?? "*l";
  const all = isAllPattern(pat);
  const origLen = len(prefix);
  let part = prefix;
  k.opBegin(t, TimeoutKind.Receive);
  for (;;) {
    const r = sock.receive(pat, part);
    if (r[0] !== null) {
      k.opEnd(t);
      if (k.fair(t)) yield* pause(k, 0);
      return r;
    }
    const err = r[1];
    if (!isTimeout(err)) {
      k.opEnd(t);
      // "*a" ends well when the peer closes after sending anything during this op, however
      // many tries it took (LuaSocket only looks at the last try).
      if (all && err === "closed" && len(r[2]) > origLen) return [r[2]!, null, null];
      return r;
    }
    if (partial && len(r[2]) > origLen) {
      k.opEnd(t);
      return r;
    }
    if (k.timedOut(t)) {
      k.opEnd(t);
      return [null, k.timeoutError(t, err), r[2]];
    }
    part = r[2];
    k.block(t, s, err === "wantwrite" ? WRITE : READ);
    yield SUSPEND;
  }
}

export function* send(k: Kernel, s: Selectable, data: Data, i: number | undefined, j: number | undefined): Op<SendResult> {
  const t = k.self("send");
  const sock = s as unknown as StreamOps;
  let last = (i ?? 1) - 1;
  let first = true;
  k.opBegin(t, TimeoutKind.Send);
  for (;;) {
    const r = sock.send(data, first ? (i ?? 1) : last + 1, j);
    first = false;
    if (r[0] !== null) {
      k.opEnd(t);
      if (k.fair(t)) yield* pause(k, 0);
      return r;
    }
    const err = r[1];
    last = r[2];
    if (!isTimeout(err)) {
      k.opEnd(t);
      return r;
    }
    if (k.timedOut(t)) {
      k.opEnd(t);
      return [null, k.timeoutError(t, err), last];
    }
    k.block(t, s, err === "wantread" ? READ : WRITE);
    yield SUSPEND;
  }
}

export function* connect(k: Kernel, s: Selectable, host: string, port: number): Op<OkResult> {
  const t = k.self("connect");
  const sock = s as unknown as StreamOps;
  sock.settimeout?.(0);
  let tried = false;
  k.opBegin(t, TimeoutKind.Connect);
  for (;;) {
    const r = sock.connect(host, port);
    const err = r[1];
    if (r[0] !== null || (err !== "timeout" && err !== "Operation already in progress")) {
      k.opEnd(t);
      if (r[0] === null && err === "already connected" && tried) return [1, null];
      return r;
    }
    if (k.timedOut(t)) {
      k.opEnd(t);
      return [null, k.timeoutError(t, err)];
    }
    tried = true;
    k.block(t, s, WRITE);
    yield SUSPEND;
  }
}

/**
 * UDP receive: `receivefrom` (`from`: the result is `[data, ip, port]`) or `receive` (the result
 * is `[data, null, null]`); either way `[null, err, null]` on failure.
 */
export function* receiveDatagram(
  k: Kernel,
  s: Selectable,
  size: number | undefined,
  from: boolean,
): Op<[Data, string | null, number | null] | [null, string, null]> {
  const t = k.self(from ? "receivefrom" : "receive");
  const sock = s as unknown as DatagramOps;
  k.opBegin(t, TimeoutKind.Receive);
  for (;;) {
    const r = from ? sock.receivefrom(size) : sock.receive(size);
    if (r[0] !== null) {
      k.opEnd(t);
      if (k.fair(t)) yield* pause(k, 0);
      return from ? (r as [Data, string, number]) : [r[0], null, null];
    }
    const err = r[1];
    if (err !== "timeout") {
      k.opEnd(t);
      return [null, err, null];
    }
    if (k.timedOut(t)) {
      k.opEnd(t);
      return [null, "timeout", null];
    }
    k.block(t, s, READ);
    yield SUSPEND;
  }
}

function* runHandler(
  k: Kernel,
  fn: (skt: CopasSocket, ...a: unknown[]) => unknown,
  sslparams: unknown,
  skt: unknown,
  args: unknown[],
): Op<unknown> {
  const w = k.dispatcher.wrap(skt as Selectable, sslparams);
  if (!(yield* w._serverHandshake())) {
    // The handshake timed out: the client is dropped, the handler never runs (Copas #189).
    w.close();
    return undefined;
  }
  const r = fn(w, ...args);
  return isYieldable(r) ? yield r : r;
}

export function makeHandler(
  k: Kernel,
  fn: (skt: CopasSocket, ...a: unknown[]) => unknown,
  sslparams: unknown,
): (skt: unknown, ...args: unknown[]) => Op<unknown> {
  normalizeSsl(sslparams, "handler"); // bad parameters fail here, not in each client's thread
  return (skt: unknown, ...args: unknown[]) => runHandler(k, fn, sslparams, skt, args);
}
