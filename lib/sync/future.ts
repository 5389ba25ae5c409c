// copas.future: a thread whose result can be waited for (Copas's src/copas/future.lua).
//
// Invariant: #results is set once, by the thread ending (pcall-style: [true, value] or
// [false, error]) or by cancel ([false, "cancelled"]), and every waiter is woken then, in
// the order they came; a `get` after that returns at once.

import * as check from "../common/check.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { Semaphore } from "./semaphore.js";
import type { Thread } from "../core/trampoline.js";
import type { Op } from "../common/types.js";
import { isYieldable } from "../common/yieldable.js";

/** `try()` status: still running. */
export const PENDING = false;
/** `try()` status: done, with a value. */
export const SUCCESS = true;
/** `try()` status: failed (or cancelled), with the error. */
export const ERROR = "error";

/** What `get` gives: `[true, value]` or `[false, error]` (error "cancelled" after `cancel`). */
export type FutureResult<T> = [true, T] | [false, unknown];

/** What `try` gives: `[PENDING]`, `[SUCCESS, value]` or `[ERROR, error]`. */
export type FutureTry<T> = [typeof PENDING] | [typeof SUCCESS, T] | [typeof ERROR, unknown];

/** The value a thread function ends with: a generator's return value, a Promise's value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches any generator (its yield and next types are the op's business)
export type ResultOf<F> = F extends (...a: any[]) => infer R ? (R extends Generator<any, infer V, any> ? V : Awaited<R>) : unknown;

/**
 * The result of a thread, to wait for.
 *
 * ```ts
 * const f = copas.future.addthread(function* (url: string) {
 *   yield* copas.pause(1);
 *   return url.length;
 * }, "http://example.com");
 * copas.addthread(function* () {
 *   const [ok, n] = yield* f.get();   // [true, 18]
 * });
 * ```
 */
export class Future<T = unknown> {
  #results: FutureResult<T> | null = null;
  #waiters: Semaphore;
  #thread: Thread;
  #d: Dispatcher;

  /** @internal use `copas.future.addthread` / `addnamedthread`. */
  constructor(d: Dispatcher, name: string | null, fn: (...a: unknown[]) => unknown, args: unknown[]) {
    this.#d = d;
    this.#waiters = new Semaphore(d, 9999, 0, Infinity);
    this.#thread = d.addnamedthread(name, Future.#run, this, fn, args);
  }

  /**
   * The thread running the task.
   *
   * @lua (none: Copas keeps the coroutine private)
   */
  get thread(): Thread {
    return this.#thread;
  }

  /**
   * Op: waits for the task: `[true, value]` or `[false, error]`; again and again.
   *
   * @lua `future:get()` (Copas) (or `future()`) → `true, value` or `false, err`
   */
  get(): Op<FutureResult<T>> {
    return this.#get();
  }

  *#get(): Op<FutureResult<T>> {
    if (this.#results === null) yield* this.#waiters.take(1, Infinity);
    return this.#results ?? [false, "cancelled"];
  }

  /**
   * Without waiting: `[PENDING]`, `[SUCCESS, value]` or `[ERROR, error]`.
   *
   * @lua `future:try()` (Copas)
   */
  try(): FutureTry<T> {
    const r = this.#results;
    if (r === null) return [PENDING];
    return r[0] ? [SUCCESS, r[1]] : [ERROR, r[1]];
  }

  /**
   * Cancels the task unless it is done: its thread is removed and `get` gives
   * `[false, "cancelled"]`. True if cancelled, false if it was already done.
   *
   * @lua `future:cancel()` (Copas)
   */
  cancel(): boolean {
    if (this.#results !== null) return false;
    this.#settle([false, "cancelled"]);
    this.#d.removethread(this.#thread);
    return true;
  }

  #settle(r: FutureResult<T>): void {
    this.#results = r;
    // Destroying the semaphore wakes every waiter, in order (Copas gives them `get_wait()`
    // resources, capped at the semaphore's 9999); later gets see the results and never wait.
    this.#waiters.destroy();
  }

  static *#run<T>(f: Future<T>, fn: (...a: unknown[]) => unknown, args: unknown[]): Op<void> {
    let r: FutureResult<T>;
    try {
      let v = fn(...args);
      if (isYieldable(v)) v = yield v;
      const value = v as T; // what the thread function returned: ResultOf<F>, checked at addthread
      r = [true, value];
    } catch (e) {
      r = [false, e];
    }
    if (f.#results === null) f.#settle(r);
  }
}

/** `copas.future`: runs threads whose results can be waited for, on one dispatcher. */
export interface FutureModule {
  /**
   * `try()`'s first value while the task runs (`false`).
   *
   * @lua `copas.future.PENDING` (Copas)
   */
  readonly PENDING: typeof PENDING;
  /**
   * `try()`'s first value when the task returned (`true`).
   *
   * @lua `copas.future.SUCCESS` (Copas)
   */
  readonly SUCCESS: typeof SUCCESS;
  /**
   * `try()`'s first value when the task threw (`"error"`).
   *
   * @lua `copas.future.ERROR` (Copas)
   */
  readonly ERROR: typeof ERROR;
  /**
   * As `copas.addthread`, but gives a {@link Future} of the task's result.
   *
   * @typeParam F the task: a generator function or a plain one
   * @lua `copas.future.addthread(func, ...)` (Copas)
   */
  addthread<F extends (...a: any[]) => unknown>(fn: F, ...args: Parameters<F>): Future<ResultOf<F>>;
  /**
   * As `copas.addnamedthread`, but gives a {@link Future} of the task's result.
   *
   * @typeParam F the task: a generator function or a plain one
   * @lua `copas.future.addnamedthread(name, func, ...)` (Copas)
   */
  addnamedthread<F extends (...a: any[]) => unknown>(name: string | null | undefined, fn: F, ...args: Parameters<F>): Future<ResultOf<F>>;
}

/** @internal */
export function makeFutureModule(d: Dispatcher): FutureModule {
  const named = (name: string | null | undefined, fn: unknown, args: unknown[]) => {
    if (name !== undefined && name !== null) check.string("future.addnamedthread", "name", name);
    check.func("future.addthread", "fn", fn);
    return new Future(d, name ?? null, fn as (...a: unknown[]) => unknown, args);
  };
  return Object.freeze({
    PENDING,
    SUCCESS,
    ERROR,
    addthread: (fn: unknown, ...args: unknown[]) => named(null, fn, args),
    addnamedthread: (name: string | null | undefined, fn: unknown, ...args: unknown[]) => named(name, fn, args),
  }) as FutureModule;
}
