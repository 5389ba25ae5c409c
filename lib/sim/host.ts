// A simulated host: a name on the network that can crash and restart, with a start function
// (its "main", run as a thread of the dispatcher in the host's group, again after each
// restart), a disk that outlives crashes, and a clock that may be skewed.

/**
 * What a SimNetwork needs from a dispatcher to run hosts: start a host's thread in the host's
 * group (threads it adds, servers it adds and their handlers join the group), and remove and
 * unwind every thread of a group when its host crashes. A `Copas` made on the network registers
 * itself (`new Copas({ network })`); copas/sim does not load the dispatcher.
 */
export interface HostRunner {
  /** Adds a thread named `name` running `fn(...args)`, in `group`. */
  _spawn(group: string, name: string, fn: (...a: any[]) => unknown, ...args: unknown[]): unknown;
  /** Removes every server and unwinds every thread of `group` (as removethread). */
  _killgroup(group: string): unknown;
}

/** A host's start function: a thread function (a generator function, or a plain one). */
export type HostStart = (h: SimHost) => unknown;

/**
 * A host of a SimNetwork (`net.host(name, start?)`).
 *
 * ```ts
 * net.host("db", function* (h) {
 *   const log = (h.disk.get("log") as string[] | undefined) ?? [];
 *   h.disk.set("log", log);                     // kept across crashes; all else is lost
 *   const [server] = yield net.socket.bind("db", 6000);
 *   d.addserver(server, handler(log));          // serves until the host crashes
 * });
 * net.crash("db");   // its sockets die, its threads are removed and unwound
 * net.restart("db"); // the start function runs again, with the same disk
 * ```
 */
export class SimHost {
  /** State kept across crashes: what the test says the host wrote to disk. */
  readonly disk = new Map<string, unknown>();
  /** Starts so far (1 during the first run of the start function, 2 after one restart, ...). */
  boots = 0;
  /** Seconds this host's clock is ahead of the network's (negative: behind). See `now()`. */
  skew = 0;

  readonly #now: () => number;
  readonly #up: () => boolean;

  /** @internal made by SimNetwork.host. */
  constructor(
    /** The host's name (its address on the network). */
    readonly name: string,
    /** @internal */
    public _start: HostStart | null,
    now: () => number,
    up: () => boolean,
  ) {
    this.#now = now;
    this.#up = up;
  }

  /** The host's own clock: the network's time plus its skew. */
  now(): number {
    return this.#now() + this.skew;
  }

  /** False while crashed. */
  get up(): boolean {
    return this.#up();
  }
}
