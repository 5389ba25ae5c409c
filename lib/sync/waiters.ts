// Threads waiting on a lock or a semaphore, in the order they came (FIFO).
//
// A waiter is settled exactly once, from WAITING to GRANTED, TIMEDOUT, DESTROYED or GONE, by
// whoever decides its fate (release/give, its timeout, destroy, its thread being removed); the
// waiting thread only reads the state when it resumes. A settled waiter stays in the array
// until it reaches the head (so settling one in the middle is O(1)), and the array is compacted
// when settled entries outnumber waiting ones, so it stays bounded by the waiting threads.

import type { Dispatcher } from "../core/dispatcher.js";
import type { Thread } from "../core/trampoline.js";
import type { Op } from "../common/types.js";

export const WAITING = 0;
export const GRANTED = 1;
export const TIMEDOUT = 2;
export const DESTROYED = 3;
/** Its thread was removed (removethread, future.cancel) while it waited. */
export const GONE = 4;
type WaitState = typeof WAITING | typeof GRANTED | typeof TIMEDOUT | typeof DESTROYED | typeof GONE;

/** What a waiter waits on: a lock or a semaphore. */
interface WaitHome {
  /** The waiter's timeout fired while it was WAITING. */
  _expire(w: Waiter): void;
  /** The waiter's thread was unwound (removed) before it resumed: WAITING or GRANTED. */
  _leave(w: Waiter): void;
}

/** One thread waiting for `n` resources (1 for a lock). */
export interface Waiter {
  thread: Thread;
  n: number;
  state: WaitState;
  home: WaitHome;
}

/** The FIFO of waiters of one lock or semaphore. */
export class WaitQueue {
  #items: Waiter[] = [];
  #head = 0;
  #waiting = 0;

  /** Number of WAITING entries. */
  get waiting(): number {
    return this.#waiting;
  }

  push(w: Waiter): void {
    this.#items.push(w);
    this.#waiting++;
  }

  /** The first WAITING entry, or undefined. Drops settled entries ahead of it. */
  first(): Waiter | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const w = items[this.#head]!;
      if (w.state === WAITING) return w;
      this.#head++;
    }
    items.length = 0;
    this.#head = 0;
    return undefined;
  }

  /** Moves `w` (WAITING) to its final state. */
  settle(w: Waiter, state: WaitState): void {
    w.state = state;
    this.#waiting--;
    const settled = this.#items.length - this.#head - this.#waiting;
    if (settled > 32 && settled > this.#waiting) {
      this.#items = this.#items.filter((x) => x.state === WAITING);
      this.#head = 0;
    }
  }

  /** Settles every WAITING entry as `state` and wakes its thread, first first. */
  wakeAll(d: Dispatcher, state: WaitState): void {
    for (const w of this.list()) {
      this.settle(w, state);
      d.wakeup(w.thread);
    }
  }

  /** The WAITING entries, first first (a copy). */
  list(): Waiter[] {
    const out: Waiter[] = [];
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) if (items[i]!.state === WAITING) out.push(items[i]!);
    return out;
  }
}

/** Waiters by thread, for the timeout callback (a thread waits on one thing at a time). */
const parked = new WeakMap<Thread, Waiter>();

/** Timeout callback of a waiting thread (one function for all: no closure per wait). */
function expire(t: Thread): void {
  const w = parked.get(t);
  if (w !== undefined && w.state === WAITING) w.home._expire(w);
}

/**
 * Op: parks the running thread as `w` (already queued) until it is settled, with a copas
 * timeout of `timeout` seconds (Infinity: none), as Copas does with `copas.timeout` and
 * `pauseforever`. A stray `wakeup()` does not end the wait (Copas would take the lock or the
 * resources anyway); a removed thread leaves the queue through `home._leave` as it unwinds.
 */
export function* park(d: Dispatcher, w: Waiter, timeout: number): Op<void> {
  parked.set(w.thread, w);
  d.timeout(timeout, expire);
  let resumed = false;
  try {
    while (w.state === WAITING) yield* d.pauseforever();
    resumed = true;
  } finally {
    parked.delete(w.thread);
    if (!resumed && (w.state === WAITING || w.state === GRANTED)) w.home._leave(w);
  }
  if (w.state !== TIMEDOUT) d.timeout(0);
}
