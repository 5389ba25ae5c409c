// copas.lock: a mutex for copas threads (Copas's src/copas/lock.lua).
//
// Invariants: `#owner` is null or the holder (a Thread, or the token of a queue being
// finished); `#count` is the holder's re-entry count (0 when free). On release the lock passes
// straight to the first waiter still waiting, which becomes the owner before it resumes.

import * as check from "../common/check.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { kernelOf } from "../core/kernel.js";
import { Thread } from "../core/trampoline.js";
import type { Op } from "../common/types.js";
import { DESTROYED, GONE, GRANTED, park, TIMEDOUT, WAITING, WaitQueue, type Waiter } from "./waiters.js";

/** Default seconds `get` waits (as Copas). */
export const LOCK_TIMEOUT = 10;

/** What `lock.get` gives: `[secondsWaited, null, null]` or `[null, err, secondsWaited]`. */
export type LockGetResult = [number, null, null] | [null, "timeout" | "destroyed", number | null];

/** `[true, null]` or `[null, err]`. */
export type TrueResult = [true, null] | [null, string];

/**
 * A lock (mutex) for copas threads; re-entrant unless made with `notReentrant`.
 *
 * ```ts
 * const lock = copas.lock.new();       // 10 s default timeout
 * copas.addthread(function* () {
 *   const [waited, err] = yield* lock.get();
 *   if (err !== null) return;          // "timeout" or "destroyed"
 *   try { yield* copas.pause(1); } finally { lock.release(); }
 * });
 * ```
 */
export class Lock {
  #d: Dispatcher;
  #timeout: number;
  #notReentrant: boolean;
  #owner: unknown = null;
  #count = 0;
  #queue = new WaitQueue();
  /** The waiter the lock was handed to, until it resumes (destroy makes it fail, as Copas). */
  #granted: Waiter | null = null;
  #destroyed = false;

  /** @internal use `copas.lock.new(timeout?, notReentrant?)`. */
  constructor(d: Dispatcher, timeout?: number | null, notReentrant?: boolean) {
    this.#d = d;
    this.#timeout = check.optSeconds("lock.new", "timeout", timeout) ?? LOCK_TIMEOUT;
    this.#notReentrant = !!notReentrant;
  }

  /**
   * The thread holding the lock, or null.
   *
   * @lua `lock.owner`
   */
  get owner(): Thread | null {
    return this.#owner instanceof Thread ? this.#owner : null;
  }

  /**
   * True once destroyed.
   *
   * @lua (none: a destroyed Lua lock errors on use)
   */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Op: acquires the lock, waiting at most `timeout` seconds (default: the lock's; 0: never
   * wait; Infinity: no limit). `[secondsWaited, null, null]`, or `[null, err, secondsWaited]`
   * with err "timeout" or "destroyed". A not re-entrant lock that its owner asks for again
   * waits like anyone else (and so times out), as Copas.
   *
   * @lua `lock:get([timeout])` (Copas) → `wait` or `nil, err, wait`
   */
  get(timeout?: number | null): Op<LockGetResult> {
    return this.#get(check.optSeconds("lock.get", "timeout", timeout));
  }

  *#get(timeout: number | undefined): Op<LockGetResult> {
    if (this.#destroyed) return [null, "destroyed", null];
    const d = this.#d;
    const t = kernelOf(d).self("lock.get");
    if (this.#owner === null) {
      this.#owner = t;
      this.#count = 1;
      return [0, null, null];
    }
    if (this.#owner === t && !this.#notReentrant) {
      this.#count++;
      return [0, null, null];
    }
    const limit = timeout ?? this.#timeout;
    // Copas queues the thread before this check and leaves it there: a later release would
    // hand the lock to a thread that is no longer waiting. Here it never joins the queue.
    if (limit === 0) return [null, "timeout", 0];
    const w: Waiter = { thread: t, n: 1, state: WAITING, home: this };
    this.#queue.push(w);
    const start = d.gettime();
    yield* park(d, w, limit);
    const waited = d.gettime() - start;
    if (this.#granted === w) this.#granted = null;
    if (w.state === GRANTED) return [waited, null, null];
    return [null, w.state === TIMEDOUT ? "timeout" : "destroyed", waited];
  }

  /**
   * Releases the lock (one level of re-entry). `[true, null]`, or `[null, err]` with err
   * "cannot release a lock not owned" or "destroyed".
   *
   * @lua `lock:release()` (Copas) → `true` or `nil, err`
   */
  release(): TrueResult {
    if (this.#destroyed) return [null, "destroyed"];
    const t = this.#d.running_thread();
    if (t === null || t !== this.#owner) return [null, "cannot release a lock not owned"];
    if (--this.#count > 0) return [true, null];
    this.#handOver();
    return [true, null];
  }

  /**
   * Destroys the lock: waiters get "destroyed", in the order they came. `[true, null]`.
   *
   * @lua `lock:destroy()` (Copas)
   */
  destroy(): TrueResult {
    if (this.#destroyed) return [null, "destroyed"];
    this.#destroyed = true;
    this.#queue.wakeAll(this.#d, DESTROYED);
    if (this.#granted !== null && this.#granted.state === GRANTED) this.#granted.state = DESTROYED;
    this.#granted = null;
    this.#owner = null;
    this.#count = 0;
    return [true, null];
  }

  /** @internal holds the lock for a non-thread owner (a queue being finished). */
  _hold(token: object): void {
    if (this.#owner === null) {
      this.#owner = token;
      this.#count = 1;
    }
  }

  /** @internal */
  _expire(w: Waiter): void {
    this.#queue.settle(w, TIMEDOUT);
    this.#d.wakeup(w.thread);
  }

  /** @internal */
  _leave(w: Waiter): void {
    if (w.state === WAITING) {
      this.#queue.settle(w, GONE);
    } else if (this.#granted === w) {
      // Handed the lock but removed before it could run: pass it on.
      this.#granted = null;
      if (!this.#destroyed) this.#handOver();
    }
  }

  /** Passes the lock to the first waiter, or frees it. */
  #handOver(): void {
    const w = this.#queue.first();
    if (w === undefined) {
      this.#owner = null;
      this.#count = 0;
      return;
    }
    this.#queue.settle(w, GRANTED);
    this.#owner = w.thread;
    this.#count = 1;
    this.#granted = w;
    this.#d.wakeup(w.thread);
  }
}

/** `copas.lock`: makes locks bound to one dispatcher. */
export interface LockModule {
  /**
   * A new lock: `timeout` is the default for `get` (10 s; Infinity: none).
   *
   * @lua `copas.lock.new([timeout [, not_reentrant]])` (Copas)
   */
  "new"(timeout?: number | null, notReentrant?: boolean): Lock;
}

/** @internal */
export function makeLockModule(d: Dispatcher): LockModule {
  return { new: (timeout, notReentrant) => new Lock(d, timeout, notReentrant) };
}
