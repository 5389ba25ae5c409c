// copas.semaphore: counted resources for copas threads (Copas's src/copas/semaphore.lua).
//
// Invariants: 0 <= #count <= max. Waiters are served strictly in order: `give` hands
// resources to the first waiters whose requests fit, waking each inside `give`, and stops at
// the first that does not fit (a small request never overtakes a big one ahead of it).

import * as check from "../common/check.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { kernelOf } from "../core/kernel.js";
import type { TrueResult } from "./lock.js";
import type { Op } from "../common/types.js";
import { DESTROYED, GONE, GRANTED, park, TIMEDOUT, WAITING, WaitQueue, type Waiter } from "./waiters.js";

/** Default seconds `take` waits (as Copas). */
export const SEMAPHORE_TIMEOUT = 10;

/** `[n, null]` or `[null, "destroyed"]`. */
export type CountResult = [number, null] | [null, string];

/**
 * A semaphore: up to `max` resources, taken and given back by copas threads.
 *
 * ```ts
 * const sema = copas.semaphore.new(10, 0);   // max 10, none available yet
 * copas.addthread(function* () {
 *   const [ok, err] = yield* sema.take(3);   // waits until 3 are given (10 s at most)
 * });
 * sema.give(5);                              // the waiter gets 3, 2 are left
 * ```
 */
export class Semaphore {
  /**
   * Most resources the semaphore holds (given-out ones not counted).
   *
   * @lua `sema.max` (Copas)
   */
  readonly max: number;
  #d: Dispatcher;
  #count: number;
  #timeout: number;
  #queue = new WaitQueue();
  #destroyed = false;

  /** @internal use `copas.semaphore.new(max, start?, timeout?)`. */
  constructor(d: Dispatcher, max: number, start?: number | null, timeout?: number | null) {
    if (typeof max !== "number" || !(max >= 1)) check.fail("semaphore.new", "max", "a number >= 1", max);
    const s = check.optCount("semaphore.new", "start", start) ?? 0;
    // Copas took it and broke its own invariant (count <= max): give() would then cap it down.
    if (s > max) check.fail("semaphore.new", "start", `a number from 0 to max (${max}), null or undefined`, start);
    this.#d = d;
    this.max = max;
    this.#count = s;
    this.#timeout = check.optSeconds("semaphore.new", "timeout", timeout) ?? SEMAPHORE_TIMEOUT;
  }

  /**
   * True once destroyed.
   *
   * @lua (none)
   */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Op: takes `n` resources (default 1), waiting at most `timeout` seconds (default: the
   * semaphore's; 0: never wait; Infinity: no limit) behind earlier waiters. `[true, null]`,
   * or `[null, err]` with err "timeout", "too many" (n > max) or "destroyed".
   *
   * @lua `sema:take([requested [, timeout]])` (Copas) → `true` or `nil, err`
   */
  take(n?: number | null, timeout?: number | null): Op<TrueResult> {
    const want = check.optCount("semaphore.take", "n", n) ?? 1;
    return this.#take(want, check.optSeconds("semaphore.take", "timeout", timeout));
  }

  *#take(n: number, timeout: number | undefined): Op<TrueResult> {
    if (this.#destroyed) return [null, "destroyed"];
    if (this._tryTake(n)) return [true, null];
    if (n > this.max) return [null, "too many"];
    const limit = timeout ?? this.#timeout;
    if (limit === 0) return [null, "timeout"];
    const d = this.#d;
    const w: Waiter = { thread: kernelOf(d).self("semaphore.take"), n, state: WAITING, home: this };
    this.#queue.push(w);
    yield* park(d, w, limit);
    if (w.state === TIMEDOUT) return [null, "timeout"];
    if (this.#destroyed) return [null, "destroyed"];
    return [true, null];
  }

  /**
   * Gives `n` resources (default 1; a finite number >= 0) and hands them to waiters at once.
   * `[true, null]`; `[null, "too many"]` when the count would pass `max` (it is capped);
   * `[null, "destroyed"]`.
   *
   * @lua `sema:give([given])` (Copas) → `true` or `nil, err`
   */
  give(n?: number | null): TrueResult {
    const g = check.optCount("semaphore.give", "n", n) ?? 1;
    if (this.#destroyed) return [null, "destroyed"];
    let count = this.#count + g;
    let err: string | null = null;
    if (count > this.max) {
      count = this.max;
      err = "too many";
    }
    this.#count = count;
    this.#handOut();
    return err === null ? [true, null] : [null, err];
  }

  /**
   * Resources available now: `[n, null]` or `[null, "destroyed"]`.
   *
   * @lua `sema:get_count()` (Copas)
   */
  get_count(): CountResult {
    return this.#destroyed ? [null, "destroyed"] : [this.#count, null];
  }

  /**
   * Resources waiters are short of (requested by waiters minus available): `[n, null]`.
   *
   * @lua `sema:get_wait()` (Copas)
   */
  get_wait(): CountResult {
    if (this.#destroyed) return [null, "destroyed"];
    let wait = 0;
    for (const w of this.#queue.list()) wait += w.n;
    return [wait - this.#count, null];
  }

  /**
   * Destroys the semaphore: waiters get "destroyed" (and their timeouts end). `[true, null]`.
   *
   * @lua `sema:destroy()` (Copas)
   */
  destroy(): TrueResult {
    if (this.#destroyed) return [null, "destroyed"];
    this.#destroyed = true;
    this.#queue.wakeAll(this.#d, DESTROYED);
    return [true, null];
  }

  /** @internal takes `n` at once if nobody waits and there are enough (take's fast path). */
  _tryTake(n: number): boolean {
    if (this.#queue.waiting !== 0 || this.#count < n || this.#destroyed) return false;
    this.#count -= n;
    return true;
  }

  /** @internal */
  _expire(w: Waiter): void {
    this.#queue.settle(w, TIMEDOUT);
    this.#d.wakeup(w.thread);
    // Copas leaves the resources where they are, so waiters behind a big request that timed
    // out starve until the next give; here they get what is there now.
    this.#handOut();
  }

  /** @internal */
  _leave(w: Waiter): void {
    if (this.#destroyed) return;
    if (w.state === WAITING) this.#queue.settle(w, GONE);
    else this.#count = Math.min(this.max, this.#count + w.n); // granted, never took them: give back
    this.#handOut();
  }

  #handOut(): void {
    const q = this.#queue;
    for (let w = q.first(); w !== undefined && this.#count >= w.n; w = q.first()) {
      this.#count -= w.n;
      q.settle(w, GRANTED);
      this.#d.wakeup(w.thread);
    }
  }
}

/** `copas.semaphore`: makes semaphores bound to one dispatcher. */
export interface SemaphoreModule {
  /**
   * A new semaphore of `max` resources, `start` available (0), `timeout` for `take` (10 s).
   *
   * @throws TypeError for a `max` below 1, a `start` above `max`, ...
   * @lua `copas.semaphore.new(max [, start [, timeout]])` (Copas)
   */
  "new"(max: number, start?: number | null, timeout?: number | null): Semaphore;
}

/** @internal */
export function makeSemaphoreModule(d: Dispatcher): SemaphoreModule {
  return { new: (max, start, timeout) => new Semaphore(d, max, start, timeout) };
}
