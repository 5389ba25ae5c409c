// One TLS handshake in progress, as a Selectable the handshaking thread waits on: it becomes
// ready (both ways) exactly once, when the handshake succeeded (`result`) or failed (`error`).
// The plain socket gives up its stream, and the bytes it had read but not received, to the
// network's TLS engine at once; on success the engine hands the TLS stream over in one callback,
// where it becomes a TlsSocket, so no event of the connection is ever missed. Knows no engine:
// any Network with `secure` (node:tls on the real and the simulated network) runs under it.

import type { SecureHandshake, TlsStreamLike } from "./network.js";
import { Selectable } from "./select.js";
import type { TcpSocket } from "./tcp.js";
import { TlsSocket } from "./tls-socket.js";

/** @internal a handshake the dispatcher can wait on (see lib/core/handshake.ts). */
export class TlsHandshake extends Selectable {
  readonly _network: TcpSocket["_network"];
  /** The connection, once the handshake succeeded. */
  result: TlsSocket | null = null;
  /** Why it failed (the engine's reason), once it did. */
  error: string | null = null;
  /** The engine's error code for the failure, when it gave one. */
  code: string | null = null;
  #h: SecureHandshake | null = null;
  #done = false;

  constructor(plain: TcpSocket, h: SecureHandshake) {
    super();
    this._network = plain._network;
    const taken = plain._takeStream();
    if (taken === null) {
      this.#end("closed", null);
      return;
    }
    this.#h = h;
    h.start(taken.stream, taken.pending, this.#onDone);
  }

  get done(): boolean {
    return this.#done;
  }

  #onDone = (err: string | null, tls: TlsStreamLike | null, code?: string): void => {
    if (this.#done) return;
    if (err === null && tls !== null) {
      this.result = new TlsSocket(this._network, tls.remoteFamily === "IPv6" ? 6 : 4, tls);
      this.#end(null, null);
    } else {
      this.#end(err ?? "closed", code ?? null);
    }
  };

  #end(err: string | null, code: string | null): void {
    this.error = err;
    this.code = code;
    this.#done = true;
    this.#h = null;
    this._fireRead();
    this._fireWrite();
  }

  _readable(): boolean {
    return this.#done;
  }

  _writable(): boolean {
    return this.#done;
  }

  /** Abandons the handshake (timeout, removed thread, cancelall); the connection is dropped. */
  close(): 1 {
    if (this.#done) return 1;
    const h = this.#h;
    this.#end("closed", null);
    h?.abort();
    return 1;
  }

  override toString(): string {
    return "tls{handshake}";
  }
}
