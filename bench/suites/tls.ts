// TLS echo: copas (copas.handler with LuaSec-style parameters, line receive and send) against a
// plain node:tls callback echo server, in the same run, on the same certificates. The load comes
// from separate processes (bench/clients/tls-load.ts): 2 x 25 connections playing ping-pong
// with 64-byte lines; the figure is echoes per second summed over the clients, averaged over
// two runs of each server in the order copas, node, node, copas.
import { spawn } from "node:child_process";
import fs from "node:fs";
import tls from "node:tls";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Copas, type CopasSocket } from "copas";
import type { BenchRow, BenchSuite } from "../types.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CERTS = path.join(ROOT, "spec/fixtures/");
const CLIENT = path.join(ROOT, "bench/clients/tls-load.ts");
const PROCS = 2;
const CONNS = 25;

/** Messages per second, and per second of this process's CPU time (the server's cost). */
interface Rate {
  perSec: number;
  perCpuSec: number;
}

/** Runs the load processes against `port`. */
async function load(port: number, warmup: number, seconds: number): Promise<Rate> {
  const cpu0 = process.cpuUsage();
  const runs = Array.from({ length: PROCS }, () => {
    const child = spawn(
      process.execPath,
      ["--conditions=copas-source", "--import", "tsx", CLIENT, String(port), String(CONNS), String(warmup), String(seconds), CERTS + "rootA.pem"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    return new Promise<number>((resolve, reject) => {
      child.on("exit", (code) => {
        if (code !== 0) return reject(new Error(`tls-load exited with ${code}`));
        const r = JSON.parse(out) as { messages: number; seconds: number; open: number };
        if (r.open !== CONNS) return reject(new Error(`tls-load: ${r.open} of ${CONNS} connections opened`));
        resolve(r.messages / r.seconds);
      });
    });
  });
  let sum = 0;
  for (const r of await Promise.all(runs)) sum += r;
  const cpu = process.cpuUsage(cpu0);
  // The CPU time spans warm-up and start-up too: compare it between servers, not as an absolute.
  return { perSec: sum, perCpuSec: (sum * (warmup + seconds)) / ((cpu.user + cpu.system) / 1e6) };
}

function* echo(skt: CopasSocket) {
  skt.setoption("tcp-nodelay", true);
  for (;;) {
    const [line] = yield* skt.receive();
    if (line === null) return;
    yield* skt.send(line + "\n");
  }
}

async function copasServer(warmup: number, seconds: number): Promise<Rate> {
  const copas = new Copas();
  copas.seterrorhandler(() => {}, true); // clients are killed at the end, mid-connection
  const params = { mode: "server", protocol: "any", key: CERTS + "serverAkey.pem", certificate: CERTS + "serverA.pem" };
  const [server, err] = await copas.socket.bind("127.0.0.1", 0);
  if (server === null) throw new Error(`tls bench: cannot listen: ${err}`);
  copas.addserver(server, copas.handler(echo, params));
  const loop = copas.loop();
  try {
    return await load(server.getsockname()[1] as number, warmup, seconds);
  } finally {
    copas.addthread(() => copas.removeserver(server));
    await loop;
  }
}

async function nodeServer(warmup: number, seconds: number): Promise<Rate> {
  const server = tls.createServer(
    { key: fs.readFileSync(CERTS + "serverAkey.pem"), cert: fs.readFileSync(CERTS + "serverA.pem") },
    (s) => {
      s.setNoDelay(true);
      // The same work as the TCP baseline (bench/servers/plain-echo.ts): split lines by hand
      // and write each back, so the ratio compares line servers, not a byte pipe.
      let pending: Buffer | null = null;
      s.on("data", (chunk: Buffer) => {
        const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
        let start = 0;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
          s.write(buf.subarray(start, i + 1));
          start = i + 1;
        }
        pending = start === buf.length ? null : buf.subarray(start);
      });
      s.on("error", () => {});
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    return await load(port, warmup, seconds);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const suite: BenchSuite = {
  name: "tls",
  async run({ quick }) {
    const warmup = quick ? 0.3 : 1;
    const seconds = quick ? 1 : 3;
    // A B B A (quick: A B): a load that drifts during the run weighs on both sides alike.
    const ours = [await copasServer(warmup, seconds)];
    const base = [await nodeServer(warmup, seconds)];
    if (!quick) {
      base.push(await nodeServer(warmup, seconds));
      ours.push(await copasServer(warmup, seconds));
    }
    const mean = (rs: Rate[], k: keyof Rate) => rs.reduce((a, r) => a + r[k], 0) / rs.length;
    const ratio = mean(ours, "perSec") / mean(base, "perSec");
    const cpuRatio = mean(ours, "perCpuSec") / mean(base, "perCpuSec");
    const row: BenchRow = {
      name: `tls echo ${PROCS * CONNS} conns`,
      value: Math.round(mean(ours, "perSec")),
      unit: "msgs/s",
      baseline: Math.round(mean(base, "perSec")),
      baselineName: "node tls callbacks",
      target: ">= 0.8x",
      pass: ratio >= 0.8,
      note:
        `${ratio.toFixed(2)}x; per server CPU second ${cpuRatio.toFixed(2)}x; ` +
        `${PROCS} client processes x ${CONNS} connections, 64-byte lines, ${seconds} s`,
    };
    return [row];
  },
};

export default suite;

// `node --conditions=copas-source --import tsx bench/suites/tls.ts [--quick]` runs this suite alone.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await suite.run({ quick: process.argv.includes("--quick") });
  console.log(rows);
}
