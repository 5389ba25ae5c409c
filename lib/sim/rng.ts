// The one source of randomness of a simulation: sfc32 (Chris Doty-Humphrey's small fast
// counting generator), seeded through splitmix32 so that nearby seeds give unrelated streams.
// Same seed, same sequence, on every platform: only 32-bit integer arithmetic is used.

import * as check from "../common/check.js";

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded pseudo-random generator (sfc32). Not for cryptography.
 *
 * ```ts
 * const rng = new Rng(42);
 * rng.next();         // a float in [0, 1), the same on every run with seed 42
 * rng.range(0.01, 0.05);
 * rng.int(6);         // 0..5
 * ```
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  /**
   * `seed`: any finite number (its integer bits are used; fractions are folded in).
   * `stream`: an integer naming one of several unrelated sequences of the same seed (0, the
   * default, is the sequence `new Rng(seed)` has always given).
   */
  constructor(seed = 0, stream = 0) {
    check.number("Rng", "seed", seed);
    if (!Number.isFinite(seed)) check.fail("Rng", "seed", "a finite number", seed);
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) check.fail("Rng", "stream", "an integer from 0 to 2^32-1", stream);
    const lo = seed | 0;
    const hi = Math.floor(seed / 2 ** 32) | 0;
    const frac = Math.floor((seed - Math.floor(seed)) * 2 ** 32) | 0;
    this.#a = splitmix32(lo);
    this.#b = splitmix32(hi ^ this.#a);
    this.#c = splitmix32(frac ^ this.#b);
    if (stream !== 0) {
      this.#c = splitmix32(this.#c ^ splitmix32(stream));
      this.#d = splitmix32(stream ^ this.#a) | 0;
    }
    // Warm up: the first outputs of sfc32 still look like the seed.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** The next 32-bit unsigned integer. */
  uint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** A float in [min, max] (min when equal). */
  range(min: number, max: number): number {
    return min === max ? min : min + (max - min) * this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
