// copas.timer: callbacks after a delay, once or recurring, each timer on a thread of its own
// (Copas's src/copas/timer.lua).
//
// Invariant: #thread is the thread of the current arming, or null when not armed. A timer
// thread runs only while it is that thread, so a timer cancelled and armed again at once never
// has two threads calling back (in Copas the old one would run on).

import * as check from "../common/check.js";
import type { Dispatcher, ErrorHandler } from "../core/dispatcher.js";
import { kernelOf } from "../core/kernel.js";
import type { TrueResult } from "./lock.js";
import type { Thread } from "../core/trampoline.js";
import type { Op } from "../common/types.js";
import { isYieldable } from "../common/yieldable.js";

/** Options of `timer.new`. */
export interface TimerOptions<P = unknown> {
  /** Thread name. Default: "copas_timer_<n>" (n counts this dispatcher's unnamed timers). */
  name?: string | null;
  /** Call back every `delay` seconds until cancelled. Default: once. */
  recurring?: boolean;
  /** Seconds (>= 0) between callbacks. */
  delay: number;
  /** Seconds before the first callback. Default: `delay`. */
  initial_delay?: number | null;
  /** Passed to the callback. */
  params?: P;
  /** `callback(timer, params)`, a plain or generator function, run on the timer's thread. */
  callback: (timer: Timer<P>, params: P) => unknown;
  /** The timer thread's error handler, `(err, thread, skt)`. Default: the dispatcher's. */
  errorhandler?: ErrorHandler | null;
}

/**
 * A timer; made armed by `copas.timer.new`.
 *
 * ```ts
 * const t = copas.timer.new({
 *   delay: 1,
 *   recurring: true,
 *   params: "tick",
 *   callback(timer, what) { console.log(what); },
 * });
 * // later: t.cancel();
 * ```
 */
export class Timer<P = unknown> {
  /**
   * The timer's name (its thread's).
   *
   * @lua `timer.name` (Copas)
   */
  readonly name: string;
  /**
   * Seconds between callbacks.
   *
   * @lua `timer.delay` (Copas)
   */
  readonly delay: number;
  /**
   * Whether it calls back every `delay` seconds until cancelled.
   *
   * @lua `timer.recurring` (Copas)
   */
  readonly recurring: boolean;
  /**
   * Passed to the callback.
   *
   * @lua `timer.params` (Copas)
   */
  params: P;
  #callback: (timer: Timer<P>, params: P) => unknown;
  #errorhandler: ErrorHandler | null;
  #d: Dispatcher;
  #thread: Thread | null = null;
  #cancelled = false;

  /** @internal use `copas.timer.new(opts)`. */
  constructor(d: Dispatcher, opts: TimerOptions<P>, name: string) {
    this.#d = d;
    this.name = name;
    this.delay = opts.delay;
    this.recurring = !!opts.recurring;
    this.params = opts.params as P;
    this.#callback = opts.callback;
    this.#errorhandler = opts.errorhandler ?? null;
  }

  /**
   * True while armed.
   *
   * @lua (none)
   */
  get armed(): boolean {
    return this.#thread !== null;
  }

  /**
   * Arms the timer: the first callback comes after `initialDelay` seconds (default: `delay`).
   * A one-shot timer may arm itself again from its callback. `[timer, null]`, or
   * `[null, "already armed"]`.
   *
   * @lua `timer:arm([initial_delay])` (Copas) → `timer` or `nil, err`
   */
  arm(initialDelay?: number | null): [this, null] | [null, string] {
    const first = check.optSeconds("timer.arm", "initialDelay", initialDelay);
    if (this.#thread !== null) return [null, "already armed"];
    this.#cancelled = false;
    this.#thread = this.#d.addnamedthread(this.name, Timer.#expire<P>, this, first ?? this.delay);
    return [this, null];
  }

  /**
   * Cancels the timer. A timer waiting for its next turn stops at once; a callback in progress
   * runs to its end, and is not called again. `[true, null]`, or `[null, "not armed"]`.
   *
   * @lua `timer:cancel()` (Copas) → `true` or `nil, err`
   */
  cancel(): TrueResult {
    const t = this.#thread;
    if (t === null) return [null, "not armed"];
    if (this.#cancelled) return [null, "already cancelled"];
    this.#cancelled = true;
    this.#thread = null;
    this.#d.wakeup(t); // if it sleeps until its next turn, it exits now
    return [true, null];
  }

  static *#expire<P>(tm: Timer<P>, first: number): Op<void> {
    const d = tm.#d;
    const me = kernelOf(d).self("timer");
    if (tm.#errorhandler !== null) d.seterrorhandler(tm.#errorhandler);
    // Cancelled before this thread first ran (wakeup had nothing to wake): done, as Copas's
    // removethread would drop it.
    if (tm.#thread !== me) return;
    yield* d.pause(first);
    while (tm.#thread === me) {
      if (!tm.recurring) {
        tm.#thread = null;
        tm.#cancelled = true;
        yield* Timer.#fire(tm, me);
        return;
      }
      yield* Timer.#fire(tm, me);
      if (tm.#thread !== me) return;
      yield* d.pause(tm.delay);
    }
  }

  /** Runs the callback; its errors go to the thread's error handler and the timer lives on. */
  static *#fire<P>(tm: Timer<P>, me: Thread): Op<void> {
    try {
      const r = tm.#callback(tm, tm.params);
      if (isYieldable(r)) yield r;
    } catch (e) {
      kernelOf(tm.#d).report(e, me, null);
    }
  }
}

/** `copas.timer`: makes timers bound to one dispatcher. */
export interface TimerModule {
  /**
   * A new timer, armed.
   *
   * @throws TypeError for a missing callback or delay, a negative delay, ...
   * @lua `copas.timer.new(opts)` (Copas)
   */
  "new"<P = unknown>(opts: TimerOptions<P>): Timer<P>;
}

/** @internal */
export function makeTimerModule(d: Dispatcher): TimerModule {
  let unnamed = 0;
  return {
    new<P>(opts: TimerOptions<P>): Timer<P> {
      if (typeof opts !== "object" || opts === null || Array.isArray(opts)) check.fail("timer.new", "opts", "an object ({ delay, callback, ... })", opts);
      if (typeof opts.delay !== "number" || !(opts.delay >= 0)) check.fail("timer.new", "opts.delay", "a number >= 0 (seconds)", opts.delay);
      check.func("timer.new", "opts.callback", opts.callback);
      const initial = check.optSeconds("timer.new", "opts.initial_delay", opts.initial_delay);
      if (opts.name !== undefined && opts.name !== null) check.string("timer.new", "opts.name", opts.name);
      if (opts.errorhandler !== undefined && opts.errorhandler !== null) check.func("timer.new", "opts.errorhandler", opts.errorhandler);
      const tm = new Timer<P>(d, opts, opts.name ?? `copas_timer_${++unnamed}`);
      tm.arm(initial);
      return tm;
    },
  };
}
