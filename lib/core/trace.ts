// The scheduler's trace (`new Copas({ trace: true })`, read with `gettrace()`): one line per
// event, "<time> <event> <thread> [<detail>]", time on the dispatcher's clock. A "run" line says
// what woke the thread: readable/writable <socket>, accept <server>, or why it was made
// runnable (start, timer, wakeup, timeout, yield, await, remove). Simulated networks add their
// own lines (deliveries, faults) through the kernel's `trace`.

import type { Clock } from "../common/clock.js";
import type { Thread } from "./trampoline.js";

export class Trace {
  readonly #clock: Clock;
  readonly #lines: string[] = [];
  /** What made each runnable thread runnable, until it runs. */
  readonly #why = new WeakMap<Thread, string>();
  #ids: WeakMap<Thread, number> | null = null;
  #seq = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Adds a line, prefixed with the time. */
  line(text: string): void {
    const now = this.#clock.now();
    this.#lines.push(`${Math.round(now * 1e6) / 1e6} ${text}`);
  }

  event(what: string, t: Thread, detail?: string): void {
    const name = this.#name(t);
    this.line(detail === undefined ? `${what} ${name}` : `${what} ${name} ${detail}`);
  }

  /** Records why `t` was made runnable, for its "run" line. */
  why(t: Thread, why: string): void {
    this.#why.set(t, why);
  }

  /** The "run" line of a runnable thread. */
  run(t: Thread): void {
    const why = this.#why.get(t) ?? "start";
    this.#why.delete(t);
    this.event("run", t, why);
  }

  /** The lines so far (a copy). */
  lines(): string[] {
    return this.#lines.slice();
  }

  // Unnamed threads get "thread #N", numbered per dispatcher in order of appearance, since
  // their default names hold a process-wide id that would make two equal runs differ.
  #name(t: Thread): string {
    if (t.name !== `thread: 0x${t.id.toString(16).padStart(8, "0")}`) return t.name;
    const ids = (this.#ids ??= new WeakMap());
    let n = ids.get(t);
    if (n === undefined) ids.set(t, (n = ++this.#seq));
    return `thread #${n}`;
  }
}
