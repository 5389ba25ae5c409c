// A hand-driven Clock (lib/clock.ts) for tests: time moves only when the test says so, so
// pauses and timeouts are exact and no test sleeps on the wall clock. Real sockets still work
// on it: the clock only drives timers.
//
//   advance(s)  moves time forward, firing due timers in time order (ties: the order set);
//   auto        when true, a dispatcher that idles with a finite wait jumps the clock to the
//               end of that wait (after one turn of the event loop, so I/O is still polled).
//               Use it only where no socket data is expected while a timer is pending.

import type { Clock } from "../../lib/common/clock.js";

interface FakeTimer {
  time: number;
  seq: number;
  fn: () => void;
  live: boolean;
  imm: NodeJS.Immediate | null;
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];
  /** Jump to the end of every finite idle wait (see above). */
  auto: boolean;
  #idlers: ((seconds: number) => void)[] = [];

  constructor(start = 0, auto = false) {
    this.#now = start;
    this.auto = auto;
  }

  now(): number {
    return this.#now;
  }

  setTimer(seconds: number, fn: () => void): unknown {
    if (seconds <= 0) {
      // As the real clock: after the event loop has polled I/O once.
      const t: FakeTimer = { time: this.#now, seq: this.#seq++, fn, live: true, imm: null };
      t.imm = setImmediate(() => {
        t.imm = null;
        if (!t.live) return;
        t.live = false;
        fn();
      });
      return t;
    }
    const t: FakeTimer = { time: this.#now + seconds, seq: this.#seq++, fn, live: true, imm: null };
    this.#timers.push(t);
    return t;
  }

  clearTimer(handle: unknown): void {
    const t = handle as FakeTimer;
    t.live = false;
    if (t.imm !== null) {
      clearImmediate(t.imm);
      t.imm = null;
    }
    const i = this.#timers.indexOf(t);
    if (i !== -1) this.#timers.splice(i, 1);
  }

  idle(seconds: number, fn: () => void): unknown {
    const idlers = this.#idlers;
    this.#idlers = [];
    for (const w of idlers) w(seconds);
    if (seconds === Infinity) return { time: Infinity, seq: -1, fn, live: true, imm: null } satisfies FakeTimer;
    const t = this.setTimer(seconds, fn) as FakeTimer;
    if (this.auto && seconds > 0) {
      t.imm = setImmediate(() => {
        t.imm = null;
        if (t.live) this.set(t.time);
      });
    }
    return t;
  }

  /** Resolves the next time a dispatcher has nothing to do and idles (with the idle's length). */
  idled(): Promise<number> {
    return new Promise((resolve) => this.#idlers.push(resolve));
  }

  /** Moves time forward by `seconds`, firing the timers that become due. */
  advance(seconds: number): void {
    this.set(this.#now + seconds);
  }

  /** Moves time to `t` (never backwards), firing the timers that become due. */
  set(t: number): void {
    for (;;) {
      let next: FakeTimer | null = null;
      for (const x of this.#timers) {
        if (x.time <= t && (next === null || x.time < next.time || (x.time === next.time && x.seq < next.seq))) next = x;
      }
      if (next === null) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      if (next.time > this.#now) this.#now = next.time;
      next.live = false;
      next.fn();
    }
    if (t > this.#now) this.#now = t;
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.length;
  }
}
