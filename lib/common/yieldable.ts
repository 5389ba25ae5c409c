// What a thread may wait on: a generator or other iterator (run as a sub-call on the thread) or
// a thenable. The trampoline (trampoline.ts), the dispatcher and every module that calls user
// callbacks (queue workers, timer callbacks, futures, handlers, LTN12 sources and sinks) use
// these one set of checks, so they agree on what `yield v` waits for.

/** True when `v` has a `next` method: `yield v` runs it as a sub-call. */
export function isIterator(v: unknown): v is Iterator<unknown, unknown, unknown> {
  return typeof v === "object" && v !== null && typeof (v as { next?: unknown }).next === "function";
}

/** True when `v` has a `then` method: `yield v` waits for it to settle. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/** True when `v` is an iterator or a thenable, so `yield v` waits for it on a copas thread. */
export function isYieldable(v: unknown): boolean {
  return isIterator(v) || isThenable(v);
}
