// Real entropy for `copas.random()` off the simulator: the platform's CSPRNG, read in batches
// (one call per 128 numbers). Never the global JavaScript random generator: nothing in the library uses it.

import { getRandomValues } from "node:crypto";

const buf = new Uint32Array(256);
let next = buf.length;

/** A float in [0, 1) with 53 random bits. */
export function entropy(): number {
  if (next >= buf.length) {
    getRandomValues(buf);
    next = 0;
  }
  const hi = buf[next++]! >>> 5; // 27 bits
  const lo = buf[next++]! >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}
