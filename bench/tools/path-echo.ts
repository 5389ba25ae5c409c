// The echo server's own path, without the kernel: copas's echo handler (the seed's) on a network
// whose streams are fakes that take writes and count them, fed lines by calling their read
// callbacks directly, as net.Socket's onread does. So the figure is copas's JavaScript per
// message (socket layer, dispatcher, ops, handler) with no system call in it: what the real
// echo benchmark measures minus Node's streams and the kernel, at a noise of a few percent
// where the real one moves by ten. Connections are fed round robin, so per-connection objects
// fall out of the caches as they do under a real load of that many connections.
//
//   node --conditions=copas-source --import tsx bench/tools/path-echo.ts [CONNS=2000] [MESSAGES=2000000] [ROUNDS=5]

import { Copas, socket as _socket, type TcpSocket } from "copas";
import { makeSocketModule } from "../../lib/socket/socket-module.js";
import type { ListenOptions, Network, ReadCallback, StreamLike } from "../../lib/socket/network.js";
import { realClock } from "../../lib/node/real-clock.js";

void _socket;
const conns = Number(process.argv[2] ?? 2000);
const messages = Number(process.argv[3] ?? 2_000_000);
const rounds = Number(process.argv[4] ?? 5);

let written = 0;

class FakeStream implements StreamLike {
  read: ReadCallback | null = null;
  writableLength = 0;
  destroyed = false;
  errored = null;
  remoteAddress = "127.0.0.1";
  remotePort = 1;
  remoteFamily = "IPv4";
  localAddress = "127.0.0.1";
  localPort = 2;
  on(): this {
    return this;
  }
  removeAllListeners(): this {
    return this;
  }
  write(data: string | Uint8Array): boolean {
    written += data.length;
    return true;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

let accept: ((s: StreamLike) => void) | null = null;
const network: Network = {
  kind: "real",
  clock: realClock,
  readInto(s: StreamLike, fn: ReadCallback) {
    (s as FakeStream).read = fn;
    return true;
  },
  connect() {
    throw new Error("path-echo: no connect");
  },
  listen(o: ListenOptions) {
    accept = o.onConnection;
    return Promise.resolve([{ address: () => ({ address: "127.0.0.1", port: 1, family: "IPv4" }), close: () => undefined }, null]);
  },
  datagram() {
    throw new Error("path-echo: no datagram");
  },
} as unknown as Network;

const socket = makeSocketModule(network);
const copas = new Copas({ network: { socket } });

let echoed = 0;
function* echoHandler(skt: TcpSocket) {
  for (;;) {
    const [data] = yield* copas.receive(skt);
    if (data === null || data === "quit") break;
    yield* copas.send(skt, data + "\n");
    echoed++;
  }
}

const [server, err] = await socket.bind("127.0.0.1", 1);
if (server === null) throw new Error(String(err));
copas.addserver(server, echoHandler);
const done = copas.loop();
const streams: FakeStream[] = [];
for (let i = 0; i < conns; i++) {
  const s = new FakeStream();
  streams.push(s);
  accept!(s);
}
// Let the dispatcher accept them all (each accept is a step from the server's readiness).
for (let i = 0; i < 50 && streams.some((s) => s.read === null); i++) await new Promise((r) => setImmediate(r));
await new Promise((r) => setImmediate(r));
if (streams.some((s) => s.read === null)) throw new Error("path-echo: not every connection was accepted");

const buf = Buffer.allocUnsafe(65536);
const line = Buffer.from("x".repeat(63) + "\n", "latin1");
for (let r = 0; r < rounds; r++) {
  const per = Math.floor(messages / conns);
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (let k = 0; k < per; k++) {
    for (let i = 0; i < conns; i++) {
      line.copy(buf, 0);
      buf[0] = 97 + (k & 15);
      streams[i]!.read!(64, buf);
    }
  }
  const wall = performance.now() - w0;
  const c = process.cpuUsage(t0);
  const n = per * conns;
  console.log(`round ${r + 1}: ${((wall * 1e6) / n).toFixed(0)} ns/msg wall, ${(((c.user + c.system) * 1000) / n).toFixed(0)} ns/msg cpu (${n} messages, ${conns} conns)`);
}
if (echoed < messages * 0.9 || written === 0) throw new Error(`path-echo: only ${echoed} echoed`);
copas.exit();
for (const s of streams) s.read!(5, Buffer.from("quit\n"));
copas.cancelall();
void done;
process.exit(0);
