// Test harness: a dispatcher on a virtual clock, a loop runner that fails the test with the
// first error a thread raised (the default handler would only print it), and a hook telling
// when a dispatcher runs out of work.

import { Copas } from "copas";
import { ManualClock } from "copas/sim";

/** A fresh dispatcher on a ManualClock at 0 that jumps to its next timer whenever it idles. */
export function fresh(): Copas {
  return new Copas({ clock: autoClock() });
}

/** A ManualClock at `start`; `auto`: jump idle waits to the next timer (clock.autoAdvance). */
export function autoClock(start = 0, auto = true): ManualClock {
  const clock = new ManualClock(start);
  clock.autoAdvance = auto;
  return clock;
}

export async function run(copas: Copas, init?: () => unknown): Promise<void> {
  const errors: unknown[] = [];
  copas.seterrorhandler((err) => {
    errors.push(err);
  }, true);
  await copas.loop(init as never);
  if (errors.length > 0) throw errors[0];
}

const idleWaiters = new WeakMap<ManualClock, ((seconds: number) => void)[]>();

/**
 * Resolves the next time the dispatcher on `clock` has nothing to do and idles (a wait of more
 * than 0 s), with the idle's length in seconds. The clock's `idle` is wrapped once, on this
 * instance only. On an autoAdvance clock the dispatcher may idle inside `loop()` itself: call
 * this before starting the loop.
 */
export function idled(clock: ManualClock): Promise<number> {
  let waiters = idleWaiters.get(clock);
  if (waiters === undefined) {
    const list: ((seconds: number) => void)[] = [];
    waiters = list;
    idleWaiters.set(clock, list);
    const idle = clock.idle.bind(clock);
    clock.idle = (seconds, fn, pending) => {
      if (seconds > 0) for (const w of list.splice(0)) w(seconds);
      return idle(seconds, fn, pending);
    };
  }
  const list = waiters;
  return new Promise((resolve) => list.push(resolve));
}
