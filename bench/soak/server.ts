// The server under test of `npm run soak`, as a child process: a copas line echo on plain TCP
// and the same echo over TLS (copas.handler with LuaSec-style parameters), both on 127.0.0.1.
// It runs with the library's defaults except where the soak says so in the environment:
//   SOAK_SEND_TIMEOUT  copas send timeout (s) of each client, so a handler blocked on a
//                      reader that stopped reading gives up (a server's own choice; default 5)
//   SOAK_HANDSHAKE     the dispatcher's TLS handshake limit (s); unset: the library default
// Prints `listening <port> <tlsPort>`. On stdin, "stats" answers `stats <json>`: heap (after
// gc, with --expose-gc), rss, open descriptors, open connections, handler errors, and the
// receive errors seen by kind.

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { Copas, type CopasSocket } from "copas";
import { ROOT } from "../proc.js";

const CERTS = path.join(ROOT, "spec/fixtures/");
const sendTimeout = Number(process.env.SOAK_SEND_TIMEOUT ?? 5);
const handshake = process.env.SOAK_HANDSHAKE;

const copas = new Copas(handshake === undefined ? {} : ({ handshakeTimeout: Number(handshake) }));
let conns = 0;
let tlsConns = 0;
let echoed = 0;
let handlerErrors = 0;
let handshakeFailures = 0;
const receiveErrors: Record<string, number> = {};

copas.seterrorhandler((err) => {
  // A client that is not a TLS client fails the handshake in its handler thread (as Copas).
  if (String(err instanceof Error ? err.message : err).startsWith("TLS/SSL handshake failed")) {
    handshakeFailures++;
    return;
  }
  handlerErrors++;
  if (handlerErrors <= 3) process.stderr.write(`soak server: handler error: ${err instanceof Error ? err.stack : String(err)}\n`);
}, true);

function* echo(skt: CopasSocket, tls: boolean) {
  if (tls) tlsConns++;
  else conns++;
  // A send timeout only (receives wait as long as the client likes, as the seed's echo server).
  skt.settimeouts(null, sendTimeout, null);
  try {
    for (;;) {
      const [line, err] = yield* skt.receive();
      if (line === null) {
        receiveErrors[err] = (receiveErrors[err] ?? 0) + 1;
        return;
      }
      const [ok, err2] = yield* skt.send(line + "\n");
      if (ok === null) {
        receiveErrors[`send ${err2}`] = (receiveErrors[`send ${err2}`] ?? 0) + 1;
        return;
      }
      echoed++;
    }
  } finally {
    if (tls) tlsConns--;
    else conns--;
    skt.close();
  }
}

const [server, err] = await copas.socket.bind("127.0.0.1", 0, 4096);
if (server === null) throw new Error(`soak server: ${err}`);
copas.addserver(server, copas.handler((skt: CopasSocket) => echo(skt, false)));
const [tlsServer, err2] = await copas.socket.bind("127.0.0.1", 0, 4096);
if (tlsServer === null) throw new Error(`soak server: ${err2}`);
const params = { mode: "server", protocol: "any", key: fs.readFileSync(CERTS + "serverAkey.pem", "utf8"), certificate: fs.readFileSync(CERTS + "serverA.pem", "utf8") };
copas.addserver(tlsServer, copas.handler((skt: CopasSocket) => echo(skt, true), params));

function fds(): number {
  try {
    return fs.readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
readline.createInterface({ input: process.stdin }).on("line", (cmd) => {
  if (cmd !== "stats") return;
  if (gc) for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  const s = { heap: m.heapUsed, rss: m.rss, fds: fds(), conns, tlsConns, echoed, handlerErrors, handshakeFailures, receiveErrors };
  console.log(`stats ${JSON.stringify(s)}`);
});
process.stdin.on("end", () => process.exit(0));

console.log(`listening ${server.getsockname()[1]} ${tlsServer.getsockname()[1]}`);
await copas.loop();
