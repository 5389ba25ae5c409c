// The echo server on every core: `cluster()` runs the same copas handlers on N worker processes
// (node:cluster) sharing one port. Kill a worker and the primary starts another; the other
// workers' connections carry on. SIGTERM (or Ctrl-C) shuts down gracefully: each worker stops
// accepting, calls exit(), lets its threads finish (idle connections are closed at once, a line
// being answered is answered), then exits; the primary exits last.
//
//   WORKERS=2 PORT=20000 npm run example:cluster
//   nc 127.0.0.1 20000     ("pid" answers the worker's process id; other lines echo)
//
// node:cluster runs this module again in each worker, so everything at the top level runs in the
// primary and in every worker: keep it to the cluster() call (setup runs in the workers only).
// Type "status" on the primary's stdin for each worker's copas.status() and figures.
import os from "node:os";
import readline from "node:readline";
import copas, { cluster, socket, type TcpSocket } from "copas";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 20000);
const workers = Number(process.env.WORKERS ?? os.availableParallelism());

let served = 0;
/** Connections waiting for their next line: on shutdown they are closed at once. */
const idle = new Set<TcpSocket>();

function* echoHandler(skt: TcpSocket) {
  // After exit() the line being answered is still answered, then the connection closes.
  while (!copas.exiting()) {
    idle.add(skt);
    const [line] = yield* copas.receive(skt);
    idle.delete(skt);
    if (line === null || line === "quit") break;
    yield* copas.send(skt, (line === "pid" ? String(process.pid) : line) + "\n");
    served++;
  }
}

/** Ends the idle connections once the worker is told to exit: their receive says "closed". */
function* closeIdleOnExit() {
  yield* copas.waitforexit();
  for (const s of idle) s.shutdown("receive");
}

const c = cluster({
  workers,
  grace: 10,
  report: () => ({ served, idle: idle.size }),
  async setup(w) {
    const [server, err] = await socket.bind(host, port, 1024);
    if (server === null) throw new Error(`cannot listen on ${host}:${port}: ${err}`);
    w.addserver(server, echoHandler);
    copas.addthread(closeIdleOnExit);
  },
});

if (c.isPrimary) {
  let listening = 0;
  c.on("listening", (_w, address: { port: number }) => {
    if (++listening === workers) console.log(`echo cluster listening on ${host}:${address.port} (${workers} workers, primary ${process.pid})`);
  });
  c.on("exit", (w, code, signal) => console.log(`worker ${w.index} (pid ${w.pid}) exited: ${signal ?? code}`));
  c.on("restart", (w, delay: number) => console.log(`worker ${w.index}: restarting${delay > 0 ? ` in ${delay} s` : ""}`));
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (l) => {
    if (l.trim() === "status") void c.status().then((s) => console.log(`status: ${JSON.stringify(s)}`));
  });
  void c.closed.then(() => {
    console.log("echo cluster: done");
    rl.close();
  });
}
