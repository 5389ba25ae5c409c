// What a callback handed to copas may return to be waited on: a generator (a generator
// function's result, run as a sub-call) or a thenable. `yield`ing either on a copas thread
// gives its result (trampoline.ts).

/** True when `v` is an iterator or a thenable, so `yield v` waits for it on a copas thread. */
export function isYieldable(v: unknown): boolean {
  if ((typeof v !== "object" && typeof v !== "function") || v === null) return false;
  const o = v as { next?: unknown; then?: unknown };
  return typeof o.next === "function" || typeof o.then === "function";
}
