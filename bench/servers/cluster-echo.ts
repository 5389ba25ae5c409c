// The seed's echo server on WORKERS worker processes (cluster()), as a benchmark child process.
// The primary prints `listening <port>` once every worker listens; on stdin "cpu" answers
// `cpu <user+system CPU microseconds of the workers so far> <lines echoed by the workers>`
// (collected with status()), the commands.ts protocol.
import readline from "node:readline";
import copas, { cluster, socket, type TcpSocket } from "copas";

let echoed = 0;

function* echoHandler(skt: TcpSocket) {
  for (;;) {
    const [data] = yield* copas.receive(skt);
    if (data === null || data === "quit") break;
    yield* copas.send(skt, data + "\n");
    echoed++;
  }
}

const workers = Number(process.env.WORKERS ?? 2);
const c = cluster({
  workers,
  grace: 1,
  report: () => {
    const u = process.cpuUsage();
    return { cpu: u.user + u.system, echoed };
  },
  async setup(w) {
    const [server, err] = await socket.bind("127.0.0.1", Number(process.env.PORT ?? 0), 4096);
    if (server === null) throw new Error(`cluster echo: ${err}`);
    w.addserver(server, echoHandler);
  },
});

if (c.isPrimary) {
  let listening = 0;
  c.on("listening", (_w, a: { port: number }) => {
    if (++listening === workers) console.log(`listening ${a.port}`);
  });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (cmd) => void (async () => {
    if (cmd !== "cpu") return;
    let cpu = 0;
    let lines = 0;
    for (const r of await c.status()) {
      const f = r.report as { cpu: number; echoed: number } | null;
      if (f !== null) {
        cpu += f.cpu;
        lines += f.echoed;
      }
    }
    console.log(`cpu ${cpu} ${lines}`);
  })());
  rl.on("close", () => void c.shutdown().then(() => process.exit(0)));
}
