// copas.queue: a FIFO of items between copas threads, with optional worker threads (Copas's
// src/copas/queue.lua).
//
// Invariants: the semaphore's count equals the items not yet popped (#list from #first on);
// once stopping, no push is accepted and the queue destroys itself when it runs empty; `finish`
// waits on a lock that the queue holds and that is only ever destroyed, never released, and
// then for the workers to exit: each gives the exit semaphore once as it ends (Copas's).

import * as check from "../common/check.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { kernelOf } from "../core/kernel.js";
import { Lock, LOCK_TIMEOUT, type TrueResult } from "./lock.js";
import { Semaphore } from "./semaphore.js";
import type { Thread } from "../core/trampoline.js";
import type { Op } from "../common/types.js";
import { isYieldable } from "../common/yieldable.js";

/** What `pop` gives: `[item, null]` (a pushed null pops as `[null, null]`) or `[null, err]`. */
export type PopResult<T> = [T | null, null] | [null, string];

/** Options of `queue.new`. */
export interface QueueOptions {
  /** Default: "copas_queue_<n>" (n counts this dispatcher's unnamed queues). */
  name?: string | null;
}

/**
 * A queue of items, popped in the order pushed, by any thread or by workers.
 *
 * ```ts
 * const q = copas.queue.new({ name: "jobs" });
 * q.add_worker(function* (item) {          // runs as thread "jobs:worker_1"
 *   yield* copas.pause(0.1);
 * });
 * q.push("a");
 * copas.addthread(function* () {
 *   const [ok, err] = yield* q.finish(5);  // waits until every item was handled
 * });
 * ```
 */
export class Queue<T = unknown> {
  /**
   * The queue's name (its workers are named after it).
   *
   * @lua `queue.name` (Copas)
   */
  readonly name: string;
  #d: Dispatcher;
  #sema: Semaphore;
  /** Given once by each worker as it exits; finish() counts them out. */
  #exitSema: Semaphore;
  #list: (T | null)[] = [];
  #first = 0;
  #workers = new Set<Thread>();
  #workerId = 0;
  #stopping = false;
  #lock: Lock | null = null;
  #destroyed = false;

  /** @internal use `copas.queue.new(opts?)`. */
  constructor(d: Dispatcher, name: string) {
    this.#d = d;
    this.name = name;
    this.#sema = new Semaphore(d, 1e9);
    this.#exitSema = new Semaphore(d, 1e9);
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
   * Adds an item (null too). `[true, null]`, or `[null, err]`: "stopping" or "destroyed".
   *
   * @lua `queue:push(item)` (Copas) → `true` or `nil, err`
   */
  push(item?: T | null): TrueResult {
    if (this.#destroyed) return [null, "destroyed"];
    if (this.#stopping) return [null, "stopping"];
    this.#list.push(item ?? null);
    this.#sema.give();
    return [true, null];
  }

  /**
   * Op: the oldest item, waiting at most `timeout` seconds for one (default 10; 0: never wait;
   * Infinity: no limit). `[item, null]` or `[null, err]`: "timeout" or "destroyed".
   *
   * @lua `queue:pop([timeout])` (Copas) → `item` or `nil, err`
   */
  pop(timeout?: number | null): Op<PopResult<T>> {
    return this.#pop(check.optSeconds("queue.pop", "timeout", timeout));
  }

  *#pop(timeout: number | undefined): Op<PopResult<T>> {
    if (this.#destroyed) return [null, "destroyed"];
    if (!this.#sema._tryTake(1)) {
      const [ok, err] = yield* this.#sema.take(1, timeout);
      if (ok === null) return [null, err];
    }
    const list = this.#list;
    const item = list[this.#first]!;
    list[this.#first++] = null;
    if (this.#first === list.length) {
      list.length = 0;
      this.#first = 0;
      if (this.#stopping) this.destroy(); // the last item is out: done
    } else if (this.#first > 1024 && this.#first * 2 > list.length) {
      list.splice(0, this.#first); // keep a queue that never runs empty bounded
      this.#first = 0;
    }
    return [item, null];
  }

  /**
   * Items waiting: `[n, null]` or `[null, "destroyed"]`.
   *
   * @lua `queue:get_size()` (Copas)
   */
  get_size(): [number, null] | [null, string] {
    return this.#destroyed ? [null, "destroyed"] : [this.#list.length - this.#first, null];
  }

  /**
   * Stops accepting items; the queue destroys itself once empty (at once if it is). Returns at
   * once: `[true, null]` (see `finish`), or `[null, "destroyed"]`.
   *
   * @lua `queue:stop()` (Copas)
   */
  stop(): TrueResult {
    if (this.#destroyed) return [null, "destroyed"];
    if (!this.#stopping) {
      this.#stopping = true;
      this.#lock = new Lock(this.#d, null, true);
      this.#lock._hold(this);
      if (this.#list.length - this.#first === 0) this.destroy();
    }
    return [true, null];
  }

  /**
   * Op: stops the queue and waits until it ran empty and was destroyed, and every worker has
   * finished its last item and exited, at most `timeout` seconds in all (default 10).
   * `[true, null]`; `[null, "timeout"]`, after which the queue is destroyed unless
   * `noDestroyOnTimeout`; `[null, "destroyed"]` if it already was.
   *
   * @lua `queue:finish([timeout [, no_destroy_on_timeout]])` (Copas)
   */
  finish(timeout?: number | null, noDestroyOnTimeout?: boolean): Op<TrueResult> {
    return this.#finish(check.optSeconds("queue.finish", "timeout", timeout), !!noDestroyOnTimeout);
  }

  *#finish(timeout: number | undefined, noDestroyOnTimeout: boolean): Op<TrueResult> {
    if (this.#destroyed) return [null, "destroyed"];
    this.stop();
    const d = this.#d;
    const end = d.gettime() + (timeout ?? LOCK_TIMEOUT);
    const [, err] = yield* this.#lock!.get(timeout);
    if (err === "timeout") {
      if (!noDestroyOnTimeout && !this.#destroyed) this.destroy();
      return [null, err];
    }
    // The queue ran empty (the lock was destroyed); now the workers: each may still be busy
    // with its last item. Several threads may finish() at once: they count exits one by one.
    while (this.#workers.size > 0) {
      const [, e] = yield* this.#exitSema.take(1, Math.max(0, end - d.gettime()));
      if (e === "destroyed") break; // another finish() saw the last one out
      if (e === "timeout") {
        if (!noDestroyOnTimeout && !this.#destroyed) this.destroy();
        return [null, e];
      }
    }
    this.#exitSema.destroy();
    return [true, null];
  }

  /**
   * Destroys the queue now, dropping what is left: `finish` waiters return, then waiting
   * poppers get "destroyed" (workers exit). `[true, null]` or `[null, "destroyed"]`.
   *
   * @lua `queue:destroy()` (Copas)
   */
  destroy(): TrueResult {
    if (this.#destroyed) return [null, "destroyed"];
    this.#destroyed = true;
    this.#lock?.destroy();
    this.#sema.destroy();
    this.#list.length = 0;
    this.#first = 0;
    return [true, null];
  }

  /**
   * Adds a worker thread "<name>:worker_<n>" that pops items forever and calls `worker(item)`
   * (a plain or generator function) for each; it exits when the queue is destroyed. Errors
   * are not caught (as Copas): the worker's thread ends and the error handler is told.
   * `[thread, null]` or `[null, "destroyed"]`.
   *
   * @lua `queue:add_worker(worker)` (Copas)
   */
  add_worker(worker: (item: T | null) => unknown): [Thread, null] | [null, string] {
    check.func("queue.add_worker", "worker", worker);
    if (this.#destroyed) return [null, "destroyed"];
    const t = this.#d.addnamedthread(`${this.name}:worker_${++this.#workerId}`, Queue.#work<T>, this, worker);
    this.#workers.add(t);
    return [t, null];
  }

  /**
   * The worker threads still running: `[threads, null]` or `[null, "destroyed"]`.
   *
   * @lua `queue:get_workers()` (Copas)
   */
  get_workers(): [Thread[], null] | [null, string] {
    if (this.#destroyed) return [null, "destroyed"];
    const out: Thread[] = [];
    for (const t of this.#workers) if (t.status() !== "dead") out.push(t);
    return [out, null];
  }

  static *#work<T>(q: Queue<T>, worker: (item: T | null) => unknown): Op<void> {
    const me = kernelOf(q.#d).self("queue worker");
    try {
      for (;;) {
        const [item, err] = yield* q.pop(Infinity);
        if (err !== null) break; // destroyed
        const r = worker(item);
        if (isYieldable(r)) yield r;
      }
    } finally {
      q.#workers.delete(me);
      q.#exitSema.give(1);
    }
  }
}

/** `copas.queue`: makes queues bound to one dispatcher. */
export interface QueueModule {
  /**
   * A new queue (`opts.name`: its name).
   *
   * @lua `copas.queue.new([opts])` (Copas)
   */
  "new"<T = unknown>(opts?: QueueOptions | null): Queue<T>;
}

/** @internal */
export function makeQueueModule(d: Dispatcher): QueueModule {
  let unnamed = 0;
  return {
    new<T>(opts?: QueueOptions | null): Queue<T> {
      if (opts !== undefined && opts !== null && (typeof opts !== "object" || Array.isArray(opts))) check.fail("queue.new", "opts", "an object ({ name? }), null or undefined", opts);
      const name = opts?.name;
      if (name !== undefined && name !== null) check.string("queue.new", "opts.name", name);
      return new Queue<T>(d, name ?? `copas_queue_${++unnamed}`);
    },
  };
}
