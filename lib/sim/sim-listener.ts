import type { ListenerLike, StreamLike } from "../socket/network.js";

/**
 * @internal a listening port of a SimNetwork. `queued` counts connections made but not yet
 * accepted; once it reaches `backlog`, new connections are refused.
 */
export class SimListener implements ListenerLike {
  queued = 0;
  closed = false;

  readonly #onClose: (l: SimListener) => void;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly backlog: number,
    readonly onConnection: (s: StreamLike) => void,
    onClose: (l: SimListener) => void,
  ) {
    this.#onClose = onClose;
  }

  /** True for "0.0.0.0" and "::": the port on every host. */
  get wildcard(): boolean {
    return this.host === "0.0.0.0" || this.host === "::";
  }

  address(): { address: string; port: number; family: string } {
    return { address: this.host, port: this.port, family: this.host.includes(":") ? "IPv6" : "IPv4" };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#onClose(this);
  }
}
