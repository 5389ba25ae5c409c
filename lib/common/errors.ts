// Errors that callers must tell apart: caught with `instanceof`, never by matching message text.

/** `code` of a TlsHandshakeError when the TLS engine gave none of its own. */
const TLS_HANDSHAKE_FAILED = "ERR_TLS_HANDSHAKE";

/**
 * A TLS handshake failed (thrown by `copas.dohandshake` and the handshakes of wrapped sockets
 * and `copas.handler`). The message is Copas's own, `"TLS/SSL handshake failed: <reason>"`.
 * A handshake that runs out of time is not an error: it gives `[null, "timeout"]`.
 *
 * ```ts
 * try {
 *   yield* copas.dohandshake(skt, params);
 * } catch (e) {
 *   if (e instanceof TlsHandshakeError) console.log(e.reason, e.code);
 *   else throw e;
 * }
 * ```
 */
export class TlsHandshakeError extends Error {
  /** Why it failed, as the TLS engine said it ("closed", "certificate verify failed: ...", ...). */
  readonly reason: string;
  /**
   * The engine's error code when it gave one (node:tls: `"ERR_TLS_CERT_ALTNAME_INVALID"`,
   * `"UNABLE_TO_VERIFY_LEAF_SIGNATURE"`, `"ECONNRESET"`, ...), else `"ERR_TLS_HANDSHAKE"`.
   */
  readonly code: string;

  /**
   * @param reason why it failed (the message adds Copas's prefix)
   * @param code the engine's error code, if any
   * @lua `error("TLS/SSL handshake failed: " .. reason)` (Copas raises a string)
   */
  constructor(reason: string, code?: string | null) {
    super(`TLS/SSL handshake failed: ${reason}`);
    this.name = "TlsHandshakeError";
    this.reason = reason;
    this.code = code ?? TLS_HANDSHAKE_FAILED;
  }
}
