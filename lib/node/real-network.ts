// The real network: Node's `net`, `dgram` and `tls` behind the Network seam of the socket layer.

import dgram from "node:dgram";
import net from "node:net";
import type { Clock } from "../common/clock.js";
import { errorString, type Network } from "../socket/network.js";
import { secureWithNodeTls } from "./tls-engine.js";

/** Node's `net` as a Network (TLS: node:tls on the socket's own descriptor). */
export function makeRealNetwork(clock: Clock): Network {
  return {
    kind: "real",
    clock,
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
