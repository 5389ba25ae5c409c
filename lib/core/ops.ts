// The bodies of copas's socket and scheduling ops: one module-level generator function per op
// (no closure made per call). Each tries the non-blocking LuaSocket call first and returns at
// once when the result is there; only a "timeout" (or LuaSec's "wantread"/"wantwrite") parks
// the thread on the socket, and the op tries again when the socket is ready, as Copas does.

import { READ, WRITE, type Selectable } from "../socket/select.js";
import { isAllPattern } from "../socket/patterns.js";
import { SUSPEND, type Thread } from "./trampoline.js";
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

// ---- the hot ops as small iterator objects --------------------------------------------
//
// pause, receive and send run for nearly every message of a server, and a thread parked in
// pause() holds its op for as long as it sleeps. As objects of a class (the same state machine
// a generator would keep, in a handful of fields) they cost a fraction of a generator object
// and its register file, and they answer a wait with one shared result object. They stay lazy
// as generators are: nothing runs until the first next().

/** What an op gives when its thread must wait (read-only, shared by every op). */
const SUSPENDED: IteratorResult<unknown, never> = Object.freeze({ done: false, value: SUSPEND });

const START = 0;
/** Parked: the next next() is the resume after the wait. */
const WAITING = 1;
/** The result is there, but the thread yields once first for fairness (pause(0)). */
const FAIR = 2;
const ENDED = 3;

abstract class HotOp<R> implements Generator<unknown, R, unknown> {
  protected _st = START;
  protected _t: Thread | null = null;

  abstract next(): IteratorResult<unknown, R>;

  [Symbol.iterator](): this {
    return this;
  }

  /** As a generator without finally: ends it (its thread's wait was undone by the dispatcher). */
  return(value?: R): IteratorResult<unknown, R> {
    this._st = ENDED;
    return { done: true, value: value as R };
  }

  /** As a generator without try: the error ends it and goes on up. */
  throw(e: unknown): IteratorResult<unknown, R> {
    this._st = ENDED;
    throw e;
  }
}

/** Op: pause(seconds); seconds > 0 sleeps, 0 yields to the others, < 0 until woken. Gives seconds slept. */
class PauseOp extends HotOp<number> {
  #k: Kernel;
  #seconds: number;
  #s0 = 0;

  constructor(k: Kernel, seconds: number) {
    super();
    this.#k = k;
    this.#seconds = seconds;
  }

  next(): IteratorResult<unknown, number> {
    const k = this.#k;
    if (this._st === START) {
      const t = k.self("pause");
      this._st = WAITING;
      // pause(0) is the hot path of cooperative code: time it by step starts (a clock read per
      // step rather than two per pause). The thread resumes in a later step, so this is >= 0.
      if (this.#seconds === 0) {
        this.#s0 = k.stepTime();
        k.sleep(t, 0);
      } else {
        const now = k.clock.now();
        this.#s0 = now;
        k.sleep(t, this.#seconds, now);
      }
      return SUSPENDED;
    }
    if (this._st === WAITING) {
      this._st = ENDED;
      return { done: true, value: (this.#seconds === 0 ? k.stepTime() : k.clock.now()) - this.#s0 };
    }
    return { done: true, value: undefined as unknown as number };
  }
}

export function pause(k: Kernel, seconds: number): Op<number> {
  return new PauseOp(k, seconds);
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

/** Op: a stream receive (receive, or receivepartial with `partial`). */
class ReceiveOp extends HotOp<ReceiveResult<Data>> {
  #k: Kernel;
  #s: Selectable;
  #pat: Pattern;
  #part: Data | null | undefined;
  #origLen: number;
  #partial: boolean;
  #r: ReceiveResult<Data> | null = null;

  constructor(k: Kernel, s: Selectable, pattern: Pattern | null | undefined, prefix: Data | null | undefined, partial: boolean) {
    super();
    this.#k = k;
    this.#s = s;
    this.#pat = pattern ?? "*l";
    this.#part = prefix;
    this.#origLen = len(prefix);
    this.#partial = partial;
  }

  next(): IteratorResult<unknown, ReceiveResult<Data>> {
    const k = this.#k;
    let t = this._t;
    switch (this._st) {
      case START:
        t = this._t = k.self(this.#partial ? "receivepartial" : "receive");
        k.opBegin(t, TimeoutKind.Receive);
        break;
      case WAITING:
        break;
      case FAIR: {
        this._st = ENDED;
        const r = this.#r!;
        this.#r = null;
        return { done: true, value: r };
      }
      default:
        return { done: true, value: undefined as unknown as ReceiveResult<Data> };
    }
    const r = (this.#s as unknown as StreamOps).receive(this.#pat, this.#part);
    if (r[0] !== null) {
      k.opEnd(t!);
      return this.#end(k, t!, r);
    }
    const err = r[1];
    if (!isTimeout(err)) {
      k.opEnd(t!);
      this._st = ENDED;
      // "*a" ends well when the peer closes after sending anything during this op, however
      // many tries it took (LuaSocket only looks at the last try).
      if (isAllPattern(this.#pat) && err === "closed" && len(r[2]) > this.#origLen) return { done: true, value: [r[2]!, null, null] };
      return { done: true, value: r };
    }
    if (this.#partial && len(r[2]) > this.#origLen) {
      k.opEnd(t!);
      this._st = ENDED;
      return { done: true, value: r };
    }
    if (k.timedOut(t!)) {
      k.opEnd(t!);
      this._st = ENDED;
      return { done: true, value: [null, k.timeoutError(t!, err), r[2]] };
    }
    this.#part = r[2];
    k.block(t!, this.#s, err === "wantwrite" ? WRITE : READ);
    this._st = WAITING;
    return SUSPENDED;
  }

  /** The op's result is there: give it, after one pause(0) when fairness asks for it. */
  #end(k: Kernel, t: Thread, r: ReceiveResult<Data>): IteratorResult<unknown, ReceiveResult<Data>> {
    if (k.fair(t)) {
      this.#r = r;
      this._st = FAIR;
      k.sleep(t, 0);
      return SUSPENDED;
    }
    this._st = ENDED;
    return { done: true, value: r };
  }
}

export function receive(
  k: Kernel,
  s: Selectable,
  pattern: Pattern | null | undefined,
  prefix: Data | null | undefined,
  partial: boolean,
): Op<ReceiveResult<Data>> {
  return new ReceiveOp(k, s, pattern, prefix, partial);
}

/** Op: a stream send of bytes i..j, waiting while the send buffer is full. */
class SendOp extends HotOp<SendResult> {
  #k: Kernel;
  #s: Selectable;
  #data: Data;
  #i: number | undefined;
  #j: number | undefined;
  #last: number;
  #r: SendResult | null = null;

  constructor(k: Kernel, s: Selectable, data: Data, i: number | undefined, j: number | undefined) {
    super();
    this.#k = k;
    this.#s = s;
    this.#data = data;
    this.#i = i;
    this.#j = j;
    this.#last = (i ?? 1) - 1;
  }

  next(): IteratorResult<unknown, SendResult> {
    const k = this.#k;
    let t = this._t;
    let from: number;
    switch (this._st) {
      case START:
        t = this._t = k.self("send");
        k.opBegin(t, TimeoutKind.Send);
        from = this.#i ?? 1;
        break;
      case WAITING:
        from = this.#last + 1;
        break;
      case FAIR: {
        this._st = ENDED;
        const r = this.#r!;
        this.#r = null;
        return { done: true, value: r };
      }
      default:
        return { done: true, value: undefined as unknown as SendResult };
    }
    const r = (this.#s as unknown as StreamOps).send(this.#data, from, this.#j);
    if (r[0] !== null) {
      k.opEnd(t!);
      if (k.fair(t!)) {
        this.#r = r;
        this._st = FAIR;
        k.sleep(t!, 0);
        return SUSPENDED;
      }
      this._st = ENDED;
      return { done: true, value: r };
    }
    const err = r[1];
    this.#last = r[2];
    if (!isTimeout(err)) {
      k.opEnd(t!);
      this._st = ENDED;
      return { done: true, value: r };
    }
    if (k.timedOut(t!)) {
      k.opEnd(t!);
      this._st = ENDED;
      return { done: true, value: [null, k.timeoutError(t!, err), this.#last] };
    }
    k.block(t!, this.#s, err === "wantread" ? READ : WRITE);
    this._st = WAITING;
    return SUSPENDED;
  }
}

export function send(k: Kernel, s: Selectable, data: Data, i: number | undefined, j: number | undefined): Op<SendResult> {
  return new SendOp(k, s, data, i, j);
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
