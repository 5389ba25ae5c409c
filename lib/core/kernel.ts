// The kernel: everything an op or a wing may ask of a dispatcher beyond its public API, in one
// explicit interface. Ops (ops.ts, handshake ops) park and resume threads through it; wings
// (lib/sync, lib/clients, lib/debug) use only `self`, `report` and the debug hook. Nothing else
// of the dispatcher's machinery is reachable from outside lib/core.
//
// Get a dispatcher's kernel with `kernelOf(d)`: a private-field read, no map lookup.

import type { Clock } from "../common/clock.js";
import type { Op } from "../common/types.js";
import type { Direction, Selectable } from "../socket/select.js";
import type { Dispatcher } from "./dispatcher.js";
import type { Thread } from "./trampoline.js";

/** Which copas timeout of a socket applies to an op (the index into its three timeouts). */
export const enum TimeoutKind {
  Connect = 0,
  Send = 1,
  Receive = 2,
}

/** What the dispatcher tells a debug log (copas.debug) about thread events. */
export interface DebugHook {
  resume(t: Thread, skt: Selectable | null): void;
  yielded(t: Thread): void;
  exit(t: Thread): void;
}

/** Where a thread waits, as the debug log describes it. */
export type WaitDescription =
  | { kind: "sleep"; seconds: number }
  | { kind: "read" | "write"; socket: string }
  | { kind: "await" }
  | { kind: "other"; state: string };

/** What an op may ask of the dispatcher that runs it. */
export interface Kernel {
  /** The dispatcher this kernel belongs to. */
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  /** The running thread; throws, naming `fn`, outside copas threads. */
  self(fn: string): Thread;
  /** The clock's time when the current step began (one clock read per step). */
  stepTime(): number;
  /** Start of a socket op on `t`: cancels its `timeout()` (as Copas's sto_timeout) and picks `kind`. */
  opBegin(t: Thread, kind: TimeoutKind): void;
  /** End of a socket op: cancels the op's timeout. */
  opEnd(t: Thread): void;
  /** True when the running op's socket timeout fired (the op must give up). */
  timedOut(t: Thread): boolean;
  /** The error a timed-out op reports: "timeout", or `own` with `usesockettimeouterrors`. */
  timeoutError(t: Thread, own: string): string;
  /**
   * Parks `t` until `s` is readable or writable, arming the socket's copas timeout on the op's
   * first wait. The caller then yields SUSPEND.
   */
  block(t: Thread, s: Selectable, dir: Direction): void;
  /**
   * Parks `t`: in the timer heap (> 0), the runnable list (0) or until woken (< 0). `now`: the
   * clock's time when the caller already read it (one read per pause), else it is read here.
   */
  sleep(t: Thread, seconds: number, now?: number): void;
  /** `t` finished an op without waiting; true when it must now yield, for fairness. */
  fair(t: Thread): boolean;
  /** Reports an error as the dispatcher does for a failed thread. */
  report(err: unknown, t: Thread | null, skt: unknown): void;
  /** The LuaSocket object behind `skt` (unwrapped), checked to be on this dispatcher's network. */
  raw(fn: string, skt: unknown): Selectable;
  /**
   * `to` takes the name and copas timeouts of `from`; with `replace` (a TLS upgrade) it also
   * takes its place as the running thread's autoclose socket.
   */
  adopt(from: Selectable, to: Selectable, replace: boolean): void;
  /** The name of a socket (`getsocketname`), "nil" for null. */
  socketName(s: Selectable | null): string;
  /** Where `t` waits, for the debug log. */
  describeWait(t: Thread): WaitDescription;
  /** Adds a line to the trace (when tracing), prefixed with the time. */
  trace(line: string): void;
  /** Sets or clears the debug hook (copas.debug). */
  setDebugHook(h: DebugHook | null): void;
  /** waitforexit: true when exit() was called already, else `t` joins the threads exit() wakes. */
  exitWait(t: Thread): boolean;
  /** `t` leaves waitforexit (woken, or unwound by removethread). */
  exitLeave(t: Thread): void;
  /** The TLS provider (lib/node gives Node's); throws, naming `fn` and the network, without one. */
  tls(fn: string): TlsProvider;
  /**
   * Adds a thread named `name` running `fn(...args)` in `group` (a simulated host's start
   * function). Threads a thread of a group adds, and the handlers of the servers it adds, join
   * its group.
   */
  spawn(group: string, name: string, fn: (...a: any[]) => unknown, args: unknown[]): Thread;
  /**
   * A simulated host crashed: removes the servers its group added (closing them) and removes
   * and unwinds every thread of the group, as `removethread`. Gives the number of threads.
   */
  killGroup(group: string): number;
}

/** TLS as the dispatcher's ops need it (implemented over node:tls in lib/node). */
export interface TlsProvider {
  /**
   * Op: the TLS handshake on a connected TCP socket: `[tlsSocket, null]`, or `[null, "timeout"]`
   * after the socket's connect timeout; other failures throw. `server` says which side runs it
   * when the parameters have no `mode`.
   */
  dohandshake(k: Kernel, s: Selectable, params: unknown, server?: boolean): Op<[Selectable, null] | [null, string]>;
  /** Records SNI (`skt:sni(names, strict)`) for the socket's next handshake. */
  sni(s: Selectable, names: unknown, strict: boolean): true;
}

let get: ((d: Dispatcher) => Kernel) | null = null;

/** @internal the dispatcher gives its kernel reader here, once, when its class is defined. */
export function registerKernelReader(fn: (d: Dispatcher) => Kernel): void {
  get = fn;
}

/** The kernel of `d`. */
export function kernelOf(d: Dispatcher): Kernel {
  return get!(d);
}
