// The trampoline: runs a thread's generators until the thread must wait.
//
// A thread is a stack of generator frames. `yield* op` needs no frame (the engine delegates);
// `yield gen` pushes one; a frame that returns pops and hands its value to the one below; an
// exception unwinds frame by frame. All of it is a loop, so neither deep nesting nor a million
// operations that complete without waiting grow the JavaScript stack.
//
// What a frame may yield:
//   SUSPEND       - an op has registered the thread somewhere (a socket queue, the timer
//                   heap, a lock...) and whoever holds it will resume it;
//   an iterator   - run as a sub-call on this thread;
//   a thenable    - the dispatcher suspends the thread until it settles;
//   anything else - a TypeError is thrown back into the frame.

import { describe } from "../common/check.js";
import { isIterator } from "../common/yieldable.js";
import type { Selectable } from "../socket/select.js";
import type { HeapEntry } from "../common/heap.js";

/** Yielded by ops to suspend the running thread. Not part of the public API. */
export const SUSPEND: unique symbol = Symbol("copas.suspend");

/** How the next resume enters the top frame. */
export const NEXT = 0;
export const THROW = 1;
export const RETURN = 2;
type ResumeMode = typeof NEXT | typeof THROW | typeof RETURN;

/** What `drive` ended with. */
const SUSPENDED = 0;
export const AWAIT = 1;
export const DONE = 2;
const FAILED = 3;
type DriveResult = typeof SUSPENDED | typeof AWAIT | typeof DONE | typeof FAILED;

/** Where a thread is; exactly one place at a time, which is what makes wake-ups safe. */
export const enum State {
  /** Created, queued to start. */
  New,
  Running,
  /** In the dispatcher's runnable list. */
  Runnable,
  /** In a socket's read queue. */
  Reading,
  /** In a socket's write queue. */
  Writing,
  /** In the timer heap (pause/sleep). */
  Sleeping,
  /** Paused until `wakeup` (pauseforever, sleep(-1)). */
  Lethargic,
  /** Waiting on a Promise. */
  Awaiting,
  Dead,
}

/** A timer-heap entry: a sleeping thread, or a thread's timeout with its callback. */
export interface TimerEntry extends HeapEntry {
  thread: Thread;
  /** null for a sleep; the callback for a timeout. */
  callback: ((t: Thread) => unknown) | null;
}

let threadIds = 0;

/**
 * A copas thread (Lua's coroutine): made by `addthread`, `addnamedthread` and by servers for
 * each client. Give it to `wakeup`, `removethread`, `setthreadname`, ...
 */
export class Thread {
  // Fields the resume of every message touches come first, so they share the object's first
  // cache lines (V8 lays fields out in the order they are defined); the rest follow.
  /** @internal the running (innermost) generator frame; null before start and after the end. */
  _gen: Iterator<unknown, unknown, unknown> | null = null;
  /** @internal */
  _state: State = State.New;
  /** @internal how and with what the next resume enters. */
  _mode: ResumeMode = NEXT;
  /** @internal */
  _value: unknown = undefined;
  /** @internal outer frames of `yield gen` sub-calls, innermost last; null while there are none. */
  _stack: Iterator<unknown, unknown, unknown>[] | null = null;
  /** @internal the socket whose queue holds the thread (Reading/Writing). */
  _socket: Selectable | null = null;
  /** @internal the heap entry of its `timeout()`. */
  _timeout: TimerEntry | null = null;
  /** @internal set when a socket timeout fired during the current op. */
  _timedOut = false;
  /** @internal the running op's socket timeout is armed. */
  _armed = false;
  /** @internal which copas timeout applies to the op: 0 connect, 1 send, 2 receive. */
  _toKind = 2;
  /** @internal ops completed in a row without waiting (fairness). */
  _streak = 0;
  /** @internal removethread was called on the running thread: unwind at its next wait. */
  _pendingReturn = false;
  /** A number unique in this process. */
  readonly id: number;
  #name: string | null;
  /** @internal the heap entry of a sleep. */
  _sleep: TimerEntry | null = null;
  /** @internal removethread was called. */
  _cancelled = false;
  /** @internal the group (a simulated host) the thread belongs to, or null. */
  _group: string | null = null;
  /** @internal counts promise waits, so a stale settlement is ignored. */
  _awaitSeq = 0;
  /** @internal the thread's own error handler. */
  _errorHandler: ((err: unknown, t: Thread | null, skt: unknown) => unknown) | null = null;
  /** @internal socket closed when the thread ends (autoclose). */
  _autoclose: { close(): unknown } | null = null;
  /** @internal per-thread `usesockettimeouterrors`. */
  _socketTimeoutErrors = false;
  /** @internal lethargy registry handle. */
  _lethargy: WeakRef<Thread> | null = null;
  /** @internal the thread function, until the first resume calls it. */
  _fn: ((...a: any[]) => unknown) | null = null;
  /** @internal its arguments. */
  _args: unknown[] | null = null;
  /** @internal called once when the thread ends: (thread, ok, valueOrError). */
  _onExit: ((t: Thread, ok: boolean, v: unknown) => void) | null = null;

  /** @internal */
  constructor(name?: string) {
    this.id = ++threadIds;
    this.#name = name ?? null;
  }

  /**
   * The name given by `setthreadname`/`addnamedthread`, else Lua's `"thread: 0x<id>"` form.
   *
   * @lua `copas.getthreadname(co)`
   */
  get name(): string {
    return (this.#name ??= `thread: 0x${this.id.toString(16).padStart(8, "0")}`);
  }

  /**
   * Sets the name (as `copas.setthreadname(name, thread)`).
   */
  set name(v: string) {
    this.#name = v;
  }

  /**
   * `"running"`, `"suspended"` or `"dead"`.
   *
   * @lua `coroutine.status(co)`
   */
  status(): "running" | "suspended" | "dead" {
    return this._state === State.Running ? "running" : this._state === State.Dead ? "dead" : "suspended";
  }

  /**
   * The thread's name.
   *
   * @lua `tostring(co)`
   */
  toString(): string {
    return this.name;
  }
}

/**
 * Runs `t` from its resume mode/value until it suspends, awaits, returns or fails.
 * On AWAIT the thenable is in `t._value`; on DONE the return value; on FAILED the error.
 * Steady state allocates nothing beyond what the generators themselves do: the innermost frame
 * is a field, and an array of outer frames exists only while a `yield gen` sub-call runs.
 */
export function drive(t: Thread): DriveResult {
  let g = t._gen!;
  let mode = t._mode;
  let value = t._value;
  t._mode = NEXT;
  t._value = undefined;
  for (;;) {
    let r: IteratorResult<unknown, unknown>;
    try {
      if (mode === NEXT) r = g.next(value);
      else if (mode === THROW) {
        if (typeof g.throw !== "function") throw value;
        r = g.throw(value);
      } else {
        r = typeof g.return === "function" ? g.return(value) : { done: true, value };
      }
    } catch (e) {
      const outer = t._stack === null ? undefined : t._stack.pop();
      if (outer === undefined) {
        t._gen = null;
        t._value = e;
        return FAILED;
      }
      t._gen = g = outer;
      mode = THROW;
      value = e;
      continue;
    }
    if (r.done === true) {
      const outer = t._stack === null ? undefined : t._stack.pop();
      if (outer === undefined) {
        t._gen = null;
        t._value = r.value;
        return DONE;
      }
      t._gen = g = outer;
      // Cancellation keeps unwinding: each frame below gets return(), running its finally.
      mode = t._cancelled ? RETURN : NEXT;
      value = r.value;
      continue;
    }
    const y = r.value;
    if (y === SUSPEND) return SUSPENDED;
    if (typeof y === "object" && y !== null) {
      if (isIterator(y)) {
        (t._stack ??= []).push(g);
        t._gen = g = y;
        mode = NEXT;
        value = undefined;
        continue;
      }
      if (typeof (y as { then?: unknown }).then === "function") {
        t._value = y;
        return AWAIT;
      }
    } else if (typeof y === "function" && typeof (y as { then?: unknown }).then === "function") {
      t._value = y;
      return AWAIT;
    }
    mode = THROW;
    value = new TypeError(
      `copas: a thread yielded ${describe(y)}; yield accepts a copas operation or another ` +
        `generator (better: yield* it), or a Promise/thenable (better: yield* copas.await(p))`,
    );
  }
}
