// Migrating an existing LuaSocket server to Copas, the seed's three steps.
// `npm run example:migration` runs the migrated server; add `-- --before` for the original one,
// `-- --wrap` for the migrated one with a wrapped socket.
//
// Before: a dispatcher loop that waits with socket.select and serves one client at a time.
//
//   server = socket.bind(host, port)
//   reading = {server}
//   while true do
//     input = socket.select(reading)
//     skt = input:accept()
//     handle(skt)
//   end
//
//   function handle(skt)
//     reqdata = skt:receive(pattern)   -- the request
//     skt:send(respdata)               -- the response
//   end
//
// After:
//   1. server = socket.bind(host, port); copas.addserver(server, handle)
//   2. the handler uses copas:   reqdata = copas.receive(skt, pattern); copas.send(skt, respdata)
//      or wraps its socket:      skt = copas.wrap(skt); reqdata = skt:receive(pattern); skt:send(respdata)
//   3. copas.loop()
//
// The protocol: each request line is answered with the line in upper case; "quit" ends the
// connection. The old server makes a second client wait until the first one is done; the
// migrated one serves them all at once.
//
// Environment: HOST, PORT (default 20000; 0: any free port). EXAMPLE_SMOKE=1 (or --smoke):
// serve one client, then exit.
import copas, { socket, type CopasSocket, type TcpSocket } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);
const smoke = process.env.EXAMPLE_SMOKE === "1" || process.argv.includes("--smoke");
const before = process.argv.includes("--before");
const wrapped = process.argv.includes("--wrap");

/** The server's protocol: what to answer to a request. */
function respond(request: string): string {
  return request.toUpperCase() + "\n";
}

// ---- Before: the blocking dispatcher loop ------------------------------------------------------

// LuaSocket objects here never block (Node has no blocking sockets), so the old server's
// blocking receive/send are written the way a select-based LuaSocket server waits: try, and on
// "timeout" wait in socket.select until the socket is ready.
async function blockingReceive(skt: TcpSocket, pattern: "*l"): Promise<string | null> {
  let partial: string | null = null;
  for (;;) {
    const [data, err, part] = skt.receive(pattern, partial);
    if (data !== null) return data as string;
    if (err !== "timeout") return null;
    partial = part as string | null;
    await socket.select([skt], null);
  }
}

async function blockingSend(skt: TcpSocket, data: string): Promise<boolean> {
  let i = 1;
  for (;;) {
    const [last, err, sent] = skt.send(data, i);
    if (last !== null) return true;
    if (err !== "timeout") return false;
    i = sent + 1;
    await socket.select(null, [skt]);
  }
}

async function handleBlocking(skt: TcpSocket): Promise<void> {
  for (;;) {
    const request = await blockingReceive(skt, "*l");
    if (request === null || request === "quit") break;
    if (!(await blockingSend(skt, respond(request)))) break;
  }
  skt.close();
}

async function runBefore(server: TcpSocket): Promise<void> {
  const reading = [server];
  for (;;) {
    await socket.select(reading, null);
    const [skt] = server.accept();
    if (skt === null) continue;
    await handleBlocking(skt); // one client at a time: the next waits until this one is done
    if (smoke) break;
  }
  server.close();
}

// ---- After: the same server on copas ------------------------------------------------------------

// Step 2, first form: copas.receive / copas.send.
function* handle(skt: TcpSocket) {
  for (;;) {
    const [request] = yield* copas.receive(skt, "*l");
    if (request === null || request === "quit") break;
    yield* copas.send(skt, respond(request));
  }
}

// Step 2, second form: wrap the socket, then use it as a LuaSocket socket.
function* handleWrapped(raw: TcpSocket) {
  const skt: CopasSocket = copas.wrap(raw);
  for (;;) {
    const [request] = yield* skt.receive("*l");
    if (request === null || request === "quit") break;
    yield* skt.send(respond(request));
  }
}

async function runAfter(server: TcpSocket): Promise<void> {
  const handler = wrapped ? handleWrapped : handle;
  // Step 1: register the server socket and its handler.
  copas.addserver(server, smoke ? function* (skt: TcpSocket) { yield* handler(skt); copas.removeserver(server); } : handler);
  // Step 3: run the dispatcher.
  await copas.loop();
}

// ---- main -----------------------------------------------------------------------------------------

const [server, err] = await socket.bind(host, port);
if (server === null) {
  console.error(`migration example: cannot listen on ${host}:${port}: ${err}`);
  process.exit(1);
}
const [ip, p] = server.getsockname();
const form = before ? "before: blocking select/accept loop" : wrapped ? "after: copas, wrapped socket" : "after: copas.receive/copas.send";
console.log(`upper-case server (${form}) listening on ${ip}:${p}`);
console.log(`try it: nc ${ip} ${p}   (each line comes back in upper case; "quit" closes the connection)`);
await (before ? runBefore(server) : runAfter(server));
console.log("upper-case server: done");
