/**
 * The dispatcher's source of time. Every time read in the scheduler goes through one of these,
 * so a virtual clock can stand in for the real one (`copas/sim`).
 */
export interface Clock {
  /**
   * Seconds (floating point); for the real clock, since the epoch.
   *
   * @lua (none: the clock is this port's seam for simulation; Copas reads `socket.gettime()`)
   */
  now(): number;
  /**
   * Calls `fn` once after `seconds` (0: as soon as the event loop has polled I/O once).
   * Returns a handle for `clearTimer`.
   *
   * @lua (none: the clock is this port's seam for simulation; Copas reads `socket.gettime()`)
   */
  setTimer(seconds: number, fn: () => void): unknown;
  /**
   * Cancels a timer made by `setTimer` (or `idle`); a handle that already fired is ignored.
   *
   * @lua (none: the clock is this port's seam for simulation; Copas reads `socket.gettime()`)
   */
  clearTimer(handle: unknown): void;
  /**
   * Optional: called by a dispatcher that has nothing to do for up to `seconds` (Infinity: no
   * limit) unless woken sooner; calls `fn` when the wait is over. Without it the dispatcher
   * uses `setTimer` (and no timer at all for Infinity). A virtual clock uses this to end the
   * wait at once, or to jump to its next event. `pending` is true when threads wait on
   * Promises (which may settle without the clock moving). Cancelled with `clearTimer`.
   *
   * @lua (none: the clock is this port's seam for simulation; Copas reads `socket.gettime()`)
   */
  idle?(seconds: number, fn: () => void, pending?: boolean): unknown;
}
