// The real clock: the only place the library reads wall-clock time or sets Node timers.

import type { Clock } from "../common/clock.js";

const origin = performance.timeOrigin;

/** The real clock: `performance` time (microsecond resolution) on the epoch's scale. */
export const realClock: Clock = {
  now: () => (origin + performance.now()) / 1000,
  setTimer(seconds, fn) {
    // setImmediate for 0 lets the event loop poll I/O first; setTimeout takes whole-ish ms.
    if (seconds <= 0) return { imm: setImmediate(fn) };
    return { tmo: setTimeout(fn, Math.min(seconds * 1000, 2 ** 31 - 1)) };
  },
  clearTimer(handle) {
    const h = handle as { imm?: NodeJS.Immediate; tmo?: NodeJS.Timeout };
    if (h.imm) clearImmediate(h.imm);
    if (h.tmo) clearTimeout(h.tmo);
  },
};
