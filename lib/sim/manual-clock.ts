// A virtual clock: time moves only when told to (advance/set) or, with `autoAdvance`, when
// the dispatcher has nothing to do. Timers fire in (time, insertion) order, each with `now()`
// at exactly its due time. Nothing here reads real time or sets a real timer. The event loop
// gets one `setImmediate` turn (not a wait on time) in two places: before a jump while threads
// wait on Promises, so a Promise that can settle without time moving settles first; and at
// the end of an idle wait without autoAdvance, so a loop() with nothing due does not spin.
// A network whose work runs on the event loop itself (node:tls over a simulated connection)
// holds the clock while that work is in flight (`_hold`/`_release`): no jump happens meanwhile.

import type { Clock } from "../common/clock.js";
import { TimerHeap, type HeapEntry } from "../common/heap.js";
import * as check from "../common/check.js";

/** @internal a timer of a ManualClock: `fn` is called as a method of the entry. */
interface ClockTimer extends HeapEntry {
  fn(): void;
}

/** A dispatcher's wait in `idle`, until `deadline` (or a wake-up, which cancels it). */
class IdleWait {
  cancelled = false;
  /** Promises were pending when the wait began: let them settle once before each jump. */
  settled = false;
  constructor(
    readonly deadline: number,
    readonly fn: () => void,
    readonly pending: boolean,
  ) {}
}

/**
 * A clock for tests and simulations: `now()` is a number that only moves forward when you
 * move it, so every timer fires at an exact, repeatable instant.
 *
 * ```ts
 * const clock = new ManualClock();
 * const copas = new Copas({ clock, network: new SimNetwork({ clock }) });
 * clock.autoAdvance = true;            // idle steps jump to the next timer
 * copas.addthread(function* () { yield* copas.pause(3600); });
 * await copas.loop();                  // milliseconds of real time
 * clock.now();                         // 3600
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #timers = new TimerHeap<ClockTimer>();
  #auto = false;
  #wait: IdleWait | null = null;
  #kicked = false;
  /** Holders of real event-loop work in flight (see `_hold`). */
  #holds = 0;

  /** `start`: the initial time in seconds (default 0). */
  constructor(start = 0) {
    check.number("ManualClock", "start", start);
    if (!Number.isFinite(start)) check.fail("ManualClock", "start", "a finite number", start);
    this.#now = start;
  }

  /**
   * When true, a dispatcher with nothing runnable jumps the clock to its next event (its own
   * next timer or the next simulated delivery) instead of waiting. Default false: the test
   * moves time with `advance`/`set`, and a step with nothing due returns at once.
   * It serves one dispatcher per clock (it jumps to that dispatcher's next timer).
   */
  get autoAdvance(): boolean {
    return this.#auto;
  }

  /**
   * Turns `autoAdvance` on or off.
   */
  set autoAdvance(v: boolean) {
    this.#auto = !!v;
    if (this.#wait !== null) this.#kick();
  }

  /** Virtual seconds. */
  now(): number {
    return this.#now;
  }

  /** Moves time forward by `seconds` (>= 0), firing every timer due on the way, in order. */
  advance(seconds: number): void {
    check.number("ManualClock.advance", "seconds", seconds);
    if (seconds < 0) {
      throw new RangeError(`ManualClock.advance: cannot move the clock backwards (got ${seconds} seconds)`);
    }
    if (!Number.isFinite(seconds)) check.fail("ManualClock.advance", "seconds", "a finite number", seconds);
    this.#runUntil(this.#now + seconds);
  }

  /** Moves time forward to `t` (not before `now()`), firing every timer due on the way. */
  set(t: number): void {
    check.number("ManualClock.set", "t", t);
    if (t < this.#now) {
      throw new RangeError(`ManualClock.set: cannot move the clock backwards (now ${this.#now}, asked ${t})`);
    }
    if (!Number.isFinite(t)) check.fail("ManualClock.set", "t", "a finite number", t);
    this.#runUntil(t);
  }

  /** Time of the next pending timer, or null. */
  nextTimer(): number | null {
    return this.#timers.size === 0 ? null : this.#timers.peekTime();
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  setTimer(seconds: number, fn: () => void): unknown {
    const e: ClockTimer = { time: 0, seq: 0, index: -1, fn };
    this._schedule(e, seconds);
    return e;
  }

  /**
   * @internal as `setTimer`, with an entry the caller made (its own handle): a simulated
   * stream's chunk on the wire is its own timer, so a delivery costs one object, not three.
   */
  _schedule(e: ClockTimer, seconds: number): void {
    e.time = this.#now + (seconds > 0 ? seconds : 0);
    this.#timers.push(e);
    if (this.#wait !== null) this.#kick();
  }

  /**
   * @internal real work is in flight on Node's event loop (a TLS engine over a simulated
   * connection): until the matching `_release`, an idle dispatcher's clock does not jump (due
   * timers still fire), so that work cannot be overtaken by a timeout it would have beaten.
   */
  _hold(): void {
    this.#holds++;
  }

  /** @internal the end of a `_hold`; the last one lets a waiting jump go on. */
  _release(): void {
    if (this.#holds <= 0) throw new Error("ManualClock._release: not held");
    if (--this.#holds === 0 && this.#wait !== null) this.#kick();
  }

  clearTimer(handle: unknown): void {
    if (handle instanceof IdleWait) {
      handle.cancelled = true;
      if (this.#wait === handle) this.#wait = null;
    } else if (handle !== null && typeof handle === "object" && "fn" in handle) {
      this.#timers.remove(handle as ClockTimer);
    }
  }

  /**
   * The dispatcher has nothing to do for up to `seconds`. Due timers fire first. Without
   * autoAdvance the wait then ends (after one event-loop turn, never waiting on time). With it,
   * the clock jumps to its next event if that comes within `seconds` (and fires everything due
   * at that instant), else by `seconds`; with nothing scheduled at all and no limit, the wait
   * lasts until something wakes it. `pending`: threads wait on Promises; the clock then lets
   * them settle (one event-loop turn) before each jump. While held (`_hold`), no jump at all.
   */
  idle(seconds: number, fn: () => void, pending = false): unknown {
    if (seconds <= 0) {
      this.#fireDue();
      fn();
      return null;
    }
    const deadline = this.#now + seconds;
    if (!this.#auto) {
      const w = new IdleWait(deadline, fn, pending);
      // Only the test moves time: end the wait after one turn of the event loop, so that a
      // loop() with nothing due lets the test's own code (and real I/O) run instead of spinning.
      setImmediate(() => {
        if (w.cancelled) return;
        this.#fireDue();
        if (!w.cancelled) w.fn();
      });
      return w;
    }
    if (!pending && this.#holds === 0) {
      // At most one instant per wait, fired synchronously: its events may wake the dispatcher
      // (which then ignores fn), and if none did, the next step simply looks again.
      const h = this.#timers;
      const at = h.peekTime();
      if (h.size > 0 && at <= deadline) {
        if (at > this.#now) this.#now = at;
        this.#fireDue();
        fn();
        return null;
      }
      if (deadline !== Infinity) {
        this.#now = deadline;
        fn();
        return null;
      }
    }
    const w = new IdleWait(deadline, fn, pending);
    // Threads wait on Promises, or nothing at all is scheduled: wait from a microtask, so that
    // a wake-up (which cancels the handle) is seen between two instants.
    this.#wait = w;
    this.#kick();
    return w;
  }

  // The wait is driven from a microtask: by then the dispatcher holds the handle, so a wake-up
  // (which clears it) is seen between two instants.
  #kick(): void {
    if (this.#kicked) return;
    this.#kicked = true;
    queueMicrotask(this.#drive);
  }

  #drive = (): void => {
    this.#kicked = false;
    const w = this.#wait;
    if (w === null || w.cancelled) return;
    // At most one instant per wait, as idle()'s synchronous path: what an instant's timers
    // wake is served before time moves on, however the dispatcher takes its wake-up (at once,
    // or through a microtask of its own).
    if (this.#fireDue() || !this.#auto) {
      if (!w.cancelled) this.#endWait(w);
      return;
    }
    if (this.#holds > 0) return; // the last _release kicks the wait again
    if (w.pending && !w.settled) {
      w.settled = true;
      this.#kicked = true;
      setImmediate(this.#drive);
      return;
    }
    const h = this.#timers;
    const at = h.peekTime();
    if (h.size > 0 && at <= w.deadline) {
      this.#now = at;
      this.#fireDue();
      if (!w.cancelled) this.#endWait(w);
      return;
    }
    if (w.deadline === Infinity) return; // parked: a wake-up, advance() or a new timer resumes
    if (this.#now < w.deadline) this.#now = w.deadline;
    this.#endWait(w);
  };

  #endWait(w: IdleWait): void {
    this.#wait = null;
    w.fn();
  }

  /** Fires every timer due at or before now; true when one did. */
  #fireDue(): boolean {
    const h = this.#timers;
    if (h.size === 0 || h.peekTime() > this.#now) return false;
    // Times are read from the heap's own arrays: the entry is touched only to fire it.
    while (h.size > 0 && h.peekTime() <= this.#now) h.pop()!.fn();
    return true;
  }

  #runUntil(target: number): void {
    const h = this.#timers;
    for (let at = h.peekTime(); h.size > 0 && at <= target; at = h.peekTime()) {
      if (at > this.#now) this.#now = at;
      h.pop()!.fn();
    }
    if (target > this.#now) this.#now = target;
  }
}
