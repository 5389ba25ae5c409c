// The precise clock: the real clock, with timers that end a fraction of a millisecond after
// their deadline and never before it.
//
// Node's timers run on the event loop's millisecond tick, reckoned from the loop's time, which
// is behind the true time by up to a millisecond: a setTimeout ends anywhere from about a
// millisecond early to a millisecond late (a copas thread, never woken early, then waits for
// the next tick). LuaSocket's select() takes microseconds. Here one helper thread (a Worker)
// sleeps in Atomics.wait, whose timeout the kernel keeps to the microsecond, until the earliest
// deadline, and notifies the main thread, whose event loop wakes on it at once
// (Atomics.waitAsync). No thread
// polls: the helper sleeps until a deadline or until a new earlier one is written for it.
//
// The helper starts on the first timer and is unref'd whenever no timer is pending, so it
// never keeps a process alive. Until it has started (or if it cannot: no worker_threads),
// timers fall back to setTimeout.

import { Worker } from "node:worker_threads";
import type { Clock } from "../common/clock.js";
import { TimerHeap, type HeapEntry } from "../common/heap.js";
import { realClock } from "./real-clock.js";

/**
 * The helper: waits on GEN (word 0) until DUE (epoch ms, the double at byte 8) or until GEN
 * changes (a new deadline), then stores the generation it waited for in SIG (word 1) and
 * notifies it; the main thread's Atomics.waitAsync on SIG wakes its event loop. 0: no
 * deadline. Only the main thread writes DUE (then bumps GEN), so no deadline is lost between
 * the two. SIG -1: the helper runs.
 */
const HELPER = `
const { workerData } = require("node:worker_threads");
const gen = new Int32Array(workerData, 0, 2);
const due = new Float64Array(workerData, 8, 1);
const origin = performance.timeOrigin;
Atomics.store(gen, 1, -1);
Atomics.notify(gen, 1);
for (;;) {
  const g = Atomics.load(gen, 0);
  const d = due[0];
  if (d === 0) { Atomics.wait(gen, 0, g); continue; }
  const left = d - (origin + performance.now());
  if (left > 0) { Atomics.wait(gen, 0, g, left); continue; }
  // Told once per deadline: then it sleeps until the main thread gives another.
  Atomics.store(gen, 1, g);
  Atomics.notify(gen, 1);
  Atomics.wait(gen, 0, g);
}`;

interface Entry extends HeapEntry {
  fn: () => void;
  /** The setTimeout used while the helper is not running, else null. */
  fallback: unknown;
}

/** Atomics.waitAsync (ES2024; Node 16 and later), typed here: the project's lib is older. */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: true; value: Promise<string> } | { async: false; value: string };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

const origin = performance.timeOrigin;
const nowMs = (): number => origin + performance.now();

class PreciseTimers {
  #heap = new TimerHeap<Entry>();
  #shared = new SharedArrayBuffer(16);
  /** GEN and SIG (see HELPER). */
  #gen = new Int32Array(this.#shared, 0, 2);
  /** The last SIG value handled. */
  #seen = 0;
  #due = new Float64Array(this.#shared, 8, 1);
  #worker: Worker | null = null;
  /** The helper has posted its first message: deadlines written now are seen. */
  #ready = false;
  /** Worker threads are not available, or the helper died: setTimeout from now on. */
  #failed = false;
  /** The deadline the helper was last given (epoch ms; 0 none). */
  #armed = 0;
  #referenced = false;

  set(seconds: number, fn: () => void): Entry | { imm: unknown } {
    if (seconds <= 0) return realClock.setTimer(0, fn) as { imm: unknown };
    const e: Entry = { time: nowMs() + Math.min(seconds, 2 ** 31 / 1000) * 1000, seq: 0, index: -1, fn, fallback: null };
    this.#start();
    if (!this.#ready) {
      e.fallback = realClock.setTimer(seconds, () => this.#fire(e));
      return e;
    }
    this.#heap.push(e);
    this.#arm();
    return e;
  }

  clear(h: unknown): void {
    if (h === null || typeof h !== "object") return;
    if ("imm" in h) {
      realClock.clearTimer(h);
      return;
    }
    const e = h as Entry;
    if (e.fallback !== null) {
      realClock.clearTimer(e.fallback);
      e.fallback = null;
    } else if (this.#heap.remove(e)) this.#arm();
  }

  /** A fallback setTimeout ended: Node's may end up to a millisecond early, so it may wait on. */
  #fire(e: Entry): void {
    const left = e.time - nowMs();
    if (left > 0) {
      e.fallback = realClock.setTimer(left / 1000, () => this.#fire(e));
      return;
    }
    e.fallback = null;
    e.fn();
  }

  #start(): void {
    if (this.#worker !== null || this.#failed) return;
    try {
      if (waitAsync === undefined) throw new Error("no Atomics.waitAsync");
      const w = new Worker(HELPER, { eval: true, workerData: this.#shared, execArgv: [] });
      this.#worker = w;
      w.unref();
      w.on("error", () => this.#fail());
      w.on("exit", () => this.#fail());
      this.#listen();
    } catch {
      this.#failed = true;
    }
  }

  /** Waits (without blocking) for the helper's next signal. */
  #listen(): void {
    const r = waitAsync!(this.#gen, 1, this.#seen);
    if (r.async) void r.value.then(this.#onSignal);
    else queueMicrotask(this.#onSignal);
  }

  #onSignal = (): void => {
    if (this.#failed) return;
    const g = Atomics.load(this.#gen, 1);
    this.#seen = g;
    this.#listen();
    if (g === -1) {
      this.#ready = true;
      return;
    }
    if (g !== Atomics.load(this.#gen, 0)) return; // a deadline given since then supersedes it
    this.#armed = 0;
    this.#run();
  };

  /** Runs the due timers, in deadline order; those set meanwhile wait for the next round. */
  #run(): void {
    const now = nowMs();
    const due: Entry[] = [];
    for (let e = this.#heap.peek(); e !== undefined && e.time <= now; e = this.#heap.peek()) due.push(this.#heap.pop()!);
    this.#arm();
    for (const e of due) e.fn();
  }

  /**
   * Gives the helper the earliest deadline when it is earlier than the one the helper keeps
   * (a later one, or none, waits: the helper's signal then finds nothing due and re-arms), so
   * a dispatcher that moves its wait timer on every step costs no cross-thread wake-up per
   * step. Holds the process alive while a timer is pending.
   */
  #arm(): void {
    const next = this.#heap.peek();
    if (next !== undefined) {
      const t = next.time;
      if (t <= nowMs()) {
        // Already due: run in a macrotask, as a timer would.
        setImmediate(this.#runDue);
      } else if (this.#armed === 0 || t < this.#armed) {
        this.#armed = t;
        this.#due[0] = t;
        Atomics.add(this.#gen, 0, 1);
        Atomics.notify(this.#gen, 0);
      }
    }
    const want = next !== undefined;
    if (want !== this.#referenced && this.#worker !== null) {
      this.#referenced = want;
      if (want) this.#worker.ref();
      else this.#worker.unref();
    }
  }

  #runDue = (): void => this.#run();

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#ready = false;
    this.#worker = null;
    // Whatever waited on the helper goes to setTimeout.
    for (const e of this.#heap.clear()) e.fallback = realClock.setTimer(Math.max(0, e.time - nowMs()) / 1000, () => this.#fire(e));
  }
}

let timers: PreciseTimers | null = null;

/**
 * The real clock with precise timers: a pause or a copas timeout ends within a fraction of a
 * millisecond after its deadline (about 0.1 ms on an idle machine), never before, where
 * Node's millisecond timers end anywhere from about 1 ms early to 1 ms late. One helper thread
 * (a Worker sleeping in `Atomics.wait`) keeps the time; it starts with the first timer, never
 * polls, and does not keep the process alive on its own. Until it has started, and where
 * worker threads are not available, timers are Node's own.
 *
 * @example
 * ```ts
 * import { Copas, preciseClock } from "copas";
 * const copas = new Copas({ clock: preciseClock });
 * copas.addthread(function* () {
 *   yield* copas.pause(0.0025); // ends 2.5 ms later, and about 0.1 ms more
 * });
 * await copas.loop();
 * ```
 */
export const preciseClock: Clock = {
  now: () => realClock.now(),
  setTimer(seconds, fn) {
    return (timers ??= new PreciseTimers()).set(seconds, fn);
  },
  clearTimer(handle) {
    timers?.clear(handle);
  },
};
