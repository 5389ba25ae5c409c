// Step timings for `status(true)`, as Copas 4.11's statistics: how long steps ran (between the
// end of one wait and the start of the next), min/max/average, since the last read.

interface Window {
  duration_max: number;
  duration_min: number;
  duration_tot: number;
  steps: number;
  time_start: number;
  step_start: number;
}

const us = (x: number): number => Math.round(x * 1e6) / 1000;
const ms = (x: number): number => Math.round(x * 1000) / 1000;

export class StepStats {
  /** Collecting (status(true) turned it on). Read on the hot path: a plain field. */
  on = false;
  #w: Window | null = null;
  #minEver: number | null = null;
  #maxEver: number | null = null;

  /** A step ends (the dispatcher is about to wait). */
  beforeWait(now: number): void {
    const w = this.#w;
    if (w === null) return;
    const d = now - w.step_start;
    w.duration_max = Math.max(w.duration_max, d);
    w.duration_min = Math.min(w.duration_min, d);
    w.duration_tot += d;
    w.steps += 1;
  }

  /** A step starts (the wait is over). */
  afterWait(now: number): void {
    this.#w ??= { duration_max: -1, duration_min: 999999, duration_tot: 0, steps: 0, time_start: now, step_start: now };
    this.#w.step_start = now;
  }

  /** `status(enable)`'s timing fields: `true` starts collecting, `false` stops; empty when off. */
  read(enable: boolean | undefined, now: () => number): Record<string, number> {
    if (!this.on) {
      if (enable === true) {
        this.on = true;
        this.#w = null;
        this.#minEver = null;
        this.#maxEver = null;
      }
      return {};
    }
    if (enable === false) {
      this.on = false;
      this.#w = null;
      return {};
    }
    const w = this.#w;
    if (w === null || w.steps === 0) return {};
    this.#w = null;
    this.#minEver = Math.min(this.#minEver ?? 9999999, w.duration_min);
    this.#maxEver = Math.max(this.#maxEver ?? 0, w.duration_max);
    const end = now();
    const tot = end - w.time_start;
    return {
      duration_max: us(w.duration_max),
      duration_min: us(w.duration_min),
      duration_tot: us(w.duration_tot),
      duration_avg: us(w.duration_tot / w.steps),
      duration_min_ever: us(this.#minEver),
      duration_max_ever: us(this.#maxEver),
      steps: w.steps,
      time_start: ms(w.time_start),
      time_end: ms(end),
      time_tot: ms(tot),
      time_avg: us(tot / w.steps),
    };
  }
}
