// The real network: Node's `net`, `dgram` and `tls` behind the Network seam of the socket layer.

import dgram from "node:dgram";
import net from "node:net";
import type { Clock } from "../common/clock.js";
import { errorString, type Network, type ReadCallback, type StreamLike } from "../socket/network.js";
import { secureWithNodeTls } from "./tls-engine.js";

/** The read buffer every socket of the real network reads into (see readInto). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

interface OnreadKeys {
  buffer: symbol;
  callback: symbol;
}

/** net.Socket's private keys for its `onread` option, found on a probe socket (null: none). */
let onreadKeys: OnreadKeys | null | undefined;

function findOnreadKeys(): OnreadKeys | null {
  const buffer = Buffer.alloc(1);
  const callback = (): void => {};
  const probe = new net.Socket({ onread: { buffer, callback } } as net.SocketConstructorOpts) as unknown as Record<symbol, unknown>;
  let b: symbol | undefined;
  let c: symbol | undefined;
  for (const k of Object.getOwnPropertySymbols(probe)) {
    if (probe[k] === buffer) b = k;
    else if (probe[k] === callback) c = k;
  }
  (probe as unknown as net.Socket).destroy();
  return b !== undefined && c !== undefined ? { buffer: b, callback: c } : null;
}

type Handle = { useUserBuffer?(b: Uint8Array): void; reading?: boolean };

/**
 * `onread` for a socket Node made without it (an accepted one) or before its first read:
 * what net.Socket's constructor and initSocketHandle do for the option, done afterwards. Only
 * plain net.Sockets (a TLS socket reads through its own wrap), and only where this Node has
 * the same machinery; otherwise false and the socket emits 'data' as usual.
 */
function readInto(s: StreamLike, fn: ReadCallback): boolean {
  if (Object.getPrototypeOf(s) !== net.Socket.prototype) return false;
  const keys = (onreadKeys ??= findOnreadKeys());
  const h = (s as unknown as { _handle?: Handle | null })._handle;
  if (keys === null || h === null || h === undefined || typeof h.useUserBuffer !== "function" || h.reading === true) return false;
  const o = s as unknown as Record<symbol, unknown>;
  o[keys.buffer] = READ_BUFFER;
  o[keys.callback] = fn;
  h.useUserBuffer(READ_BUFFER);
  return true;
}

/** Node's `net` as a Network (TLS: node:tls on the socket's own descriptor). */
export function makeRealNetwork(clock: Clock): Network {
  return {
    kind: "real",
    clock,
    readInto,
    connect(o) {
      const s = new net.Socket({ allowHalfOpen: true });
      const opts: net.TcpNetConnectOpts = { host: o.host, port: o.port };
      if (o.family) opts.family = o.family;
      if (o.localAddress) opts.localAddress = o.localAddress;
      if (o.localPort) opts.localPort = o.localPort;
      s.connect(opts);
      return s;
    },
    listen(o) {
      return new Promise((resolve) => {
        const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
        server.on("connection", (s) => o.onConnection(s));
        const onError = (e: Error) => resolve([null, errorString(e)]);
        server.once("error", onError);
        server.listen({ host: o.host, port: o.port, backlog: o.backlog, ipv6Only: false }, () => {
          server.off("error", onError);
          // Later errors (EMFILE on accept, ...) must not crash the process.
          server.on("error", () => {});
          resolve([server, null]);
        });
      });
    },
    datagram(o) {
      // Buffers sized so one datagram of 65,507 bytes fits (the OS may cap these silently).
      return dgram.createSocket({ ...o, recvBufferSize: 1 << 18, sendBufferSize: 1 << 17 });
    },
    secure: (params, o) => secureWithNodeTls(params, o),
  };
}
