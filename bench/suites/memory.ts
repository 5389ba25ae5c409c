// Memory held per idle connection: 10,000 open connections on the copas echo server (each with
// its handler thread waiting in receive), against the plain `net` echo server. The clients are
// in another process; each server runs with --expose-gc and reports heapUsed after gc, before
// and after the clients connect.

import path from "node:path";
import type { BenchRow, BenchSuite } from "../types.js";
import { Child, CLIENT_CORE, pinned, startServer, TS_NODE } from "../proc.js";

const MB = 1024 * 1024;
/** Target: extra heap for 10,000 idle connections. */
const TARGET_MB = 30;

async function extraHeap(server: string, conns: number): Promise<{ mb: number; held: number }> {
  const { child, port } = await startServer(server, ["--expose-gc"]);
  try {
    const before = Number(await child.ask("heap", "heap"));
    const [cmd, args] = pinned(CLIENT_CORE, process.execPath, [...TS_NODE, path.join("bench", "clients", "hold.ts"), String(port), String(conns)]);
    const clients = new Child("hold", cmd, args);
    try {
      const ok = Number(await clients.out.expect("ready", "hold client"));
      const held = Number(await child.ask("conns", "conns"));
      const after = Number(await child.ask("heap", "heap"));
      if (ok !== conns) throw new Error(`memory: only ${ok} of ${conns} connections opened`);
      return { mb: (after - before) / MB, held };
    } finally {
      clients.proc.stdin!.end();
      await clients.exited;
    }
  } finally {
    await child.stop();
  }
}

const suite: BenchSuite = {
  name: "memory",
  async run({ quick }) {
    const conns = quick ? 2000 : 10_000;
    const target = (TARGET_MB * conns) / 10_000;
    const c = await extraHeap("copas-echo.ts", conns);
    const p = await extraHeap("plain-echo.ts", conns);
    const row: BenchRow = {
      name: `extra heap, ${conns.toLocaleString("en-US")} idle conns`,
      value: c.mb,
      unit: "MB",
      baseline: p.mb,
      baselineName: "node net",
      target: `< ${target} MB`,
      pass: c.mb < target,
      note: `${Math.round((c.mb * 1024 * 1024) / conns)} B/conn (plain ${Math.round((p.mb * 1024 * 1024) / conns)} B/conn); heapUsed after gc; server held ${c.held} (plain ${p.held})`,
    };
    return [row];
  },
};

export default suite;
