// A minimal virtual clock for tests (the Clock interface only): time stands still while the
// dispatcher works, and when it goes idle the clock jumps to the end of the wait (the next
// timer), so minutes of timeouts run in milliseconds and every run is the same.

import type { Clock } from "copas";

interface Entry {
  time: number;
  fn: () => void;
  live: boolean;
}

export class AutoClock implements Clock {
  #now: number;
  #timers: Entry[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(seconds: number, fn: () => void): unknown {
    const e: Entry = { time: this.#now + Math.max(0, seconds), fn, live: true };
    this.#timers.push(e);
    return e;
  }

  clearTimer(handle: unknown): void {
    (handle as Entry).live = false;
  }

  /** Ends the wait on the next turn of the event loop, with the clock moved to its end. */
  idle(seconds: number, fn: () => void): unknown {
    const e: Entry = { time: this.#now + seconds, fn, live: true };
    setImmediate(() => {
      if (!e.live) return;
      this.#timers = this.#timers.filter((t) => t.live);
      let target = e.time;
      for (const t of this.#timers) target = Math.min(target, t.time);
      if (target === Infinity) return; // nothing will ever end this wait but a wake-up
      this.#now = Math.max(this.#now, target);
      for (const t of this.#timers.filter((x) => x.time <= this.#now)) {
        t.live = false;
        t.fn();
      }
      if (e.live) {
        // A timer that fired first may end the wait early: the dispatcher just waits again.
        e.live = false;
        fn();
      }
    });
    return e;
  }
}
