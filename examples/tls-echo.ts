// A TLS echo server and a client in one program (`npm run example:tls`); it exits by itself.
// Certificates: spec/fixtures (made by spec/fixtures/make-certs.sh; root A signed "localhost").
//
//   copas.addserver(server, copas.handler(echoHandler, serverParams))   -- handshake, then handler
//   local skt = copas.wrap(socket.tcp(), clientParams)
//   skt:connect("localhost", port)                                       -- connect + handshake
import { fileURLToPath } from "node:url";
import copas, { socket, type CopasSocket } from "copas";

const certs = fileURLToPath(new URL("../spec/fixtures/", import.meta.url));

// LuaSec's parameter tables: file paths (or PEM text) for the key and certificates.
const serverParams = {
  mode: "server",
  protocol: "any",
  key: certs + "serverAkey.pem",
  certificate: certs + "serverA.pem",
};
const clientParams = {
  mode: "client",
  protocol: "any",
  cafile: certs + "rootA.pem", // trust root A; the host name is checked too ("localhost")
};

function* echoHandler(skt: CopasSocket) {
  for (;;) {
    const [line] = yield* skt.receive();
    if (line === null || line === "quit") return;
    yield* skt.send(line + "\n");
  }
}

const [server, err] = await socket.bind("127.0.0.1", 0);
if (server === null) {
  console.error(`tls echo: cannot listen: ${err}`);
  process.exit(1);
}
const port = server.getsockname()[1] as number;
console.log(`tls echo server on 127.0.0.1:${port}`);
copas.addserver(server, copas.handler(echoHandler, serverParams), null, "tls-echo");

copas.addthread(function* () {
  const skt = copas.wrap(socket.tcp(), clientParams);
  try {
    yield* skt.connect("localhost", port); // throws "TLS/SSL handshake failed: ..." on a bad peer
  } catch (e) {
    console.error((e as Error).message);
    copas.removeserver(server);
    return;
  }
  console.log(`connected: ${String(skt)}`);
  for (const msg of ["hello", "over TLS"]) {
    yield* skt.send(msg + "\n");
    const [echo, e] = yield* skt.receive();
    console.log(`sent ${JSON.stringify(msg)}, got ${echo === null ? e : JSON.stringify(echo)}`);
  }
  yield* skt.send("quit\n");
  skt.close();
  copas.removeserver(server);
});

await copas.loop();
console.log("done");
