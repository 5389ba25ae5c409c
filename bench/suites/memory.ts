// Memory held per idle connection: 10,000 open connections on the copas echo server (each with
// its handler thread waiting in receive), against the plain `net` echo server. The clients are
// in another process; each server runs with --expose-gc and reports heapUsed after gc, before
// and after the clients connect.
// And heap per parked thread: 100,000 threads in pause() (bench/probes/parked.ts) against plain
// async functions awaiting a sleep, and Lua Copas 4.11 (collectgarbage("count")) when installed.

import path from "node:path";
import type { BenchRow, BenchSuite } from "../types.js";
import { Child, CLIENT_CORE, FD_LIMIT, pinned, SERVER_CORE, startServer, TS_NODE, withFdLimit } from "../proc.js";
import { luaAvailable } from "../echo-servers.js";

const MB = 1024 * 1024;
/** Target: extra heap for 10,000 idle connections. */
const TARGET_MB = 30;
/** Target of issue 12: 100,000 parked threads under 60 MB. */
const PARKED = 100_000;
const PARKED_TARGET_MB = 60;

/** Bytes of heap per parked thread, from one probe process. */
async function parkedBytes(cmd: string, args: string[]): Promise<number> {
  const [c, a] = pinned(SERVER_CORE, cmd, args);
  const child = new Child("parked probe", c, a);
  const v = Number(await child.out.expect("parked", "parked probe"));
  await child.exited;
  return v;
}

async function extraHeap(server: string, conns: number): Promise<{ mb: number; held: number }> {
  const { child, port } = await startServer(server, ["--expose-gc"]);
  try {
    const before = Number(await child.ask("heap", "heap"));
    const [cmd, args] = withFdLimit(FD_LIMIT, ...pinned(CLIENT_CORE, process.execPath, [...TS_NODE, path.join("bench", "clients", "hold.ts"), String(port), String(conns)]));
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
    const n = quick ? PARKED / 10 : PARKED;
    const probe = (mode: string) => parkedBytes(process.execPath, ["--expose-gc", ...TS_NODE, path.join("bench", "probes", "parked.ts"), mode, String(n)]);
    const pc = await probe("copas");
    const pp = await probe("plain");
    const others: { name: string; value: number }[] = [];
    for (const lua of ["lua5.4", "luajit"] as const) {
      const oracle = luaAvailable(lua);
      if (oracle === null) continue;
      const b = await parkedBytes(oracle, [lua, path.join("bench", "probes", "parked.lua"), String(n)]);
      others.push({ name: lua === "luajit" ? "LuaJIT" : "Lua 5.4", value: (b * n) / MB });
    }
    const parked: BenchRow = {
      name: `heap of ${n.toLocaleString("en-US")} threads parked in pause()`,
      value: (pc * n) / MB,
      unit: "MB",
      baseline: (pp * n) / MB,
      baselineName: "async fns awaiting a sleep",
      target: `< ${(PARKED_TARGET_MB * n) / PARKED} MB`,
      pass: (pc * n) / MB < (PARKED_TARGET_MB * n) / PARKED,
      note: `${Math.round(pc)} B/thread (plain ${Math.round(pp)} B)${others.map((o) => `, ${o.name} ${Math.round((o.value * MB) / n)} B`).join("")}; heapUsed after gc`,
      others,
    };
    return [row, parked];
  },
};

export default suite;
