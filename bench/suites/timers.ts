// Timer lateness: 10,000 threads each pause a seeded random 0..1 s and note how late they woke;
// five runs in one fresh process: runs 1-2 are cold (the JIT has not compiled the paths), runs
// 3-5 warm. Not pinned: V8 compiles on helper threads, which a production process runs on other
// cores too, so a one-core pin would overstate the cold cost. copas against plain Node async functions awaiting a
// `timers/promises` sleep, and Lua Copas 4.11 when installed (the same delays: one seeded
// generator in both languages). Also the time the first 10,000 thread starts take, cold and warm.

import path from "node:path";
import type { BenchRow, BenchSuite } from "../types.js";
import { Child, TS_NODE } from "../proc.js";
import { luaAvailable, type LuaName } from "../echo-servers.js";
import { median } from "../echo-measure.js";

const N = 10_000;
const RUNS = 5;
const SEED = 12;

interface Run {
  min: number;
  p50: number;
  p99: number;
  max: number;
  starts: number;
}

async function probe(cmd: string, args: string[]): Promise<Run[]> {
  const child = new Child("timers probe", cmd, args);
  const runs: Run[] = [];
  for (;;) {
    const l = await child.out.next();
    if (l === null) break;
    if (!l.startsWith("run ")) continue;
    const f = Object.fromEntries(l.split(" ").slice(2).map((kv) => kv.split("=") as [string, string]));
    runs.push({ min: Number(f.min_ms), p50: Number(f.p50_ms), p99: Number(f.p99_ms), max: Number(f.max_ms), starts: Number(f.starts_ms) });
  }
  const code = await child.exited;
  if (code !== 0 || runs.length === 0) throw new Error(`timers probe failed (${code}): ${child.stderr.slice(0, 300)}`);
  return runs;
}

interface Figures {
  cold: number;
  warm: number;
  startsCold: number;
  startsWarm: number;
}

/** Cold: the worse p99 of runs 1-2; warm: the median p99 of runs 3-5. Medians over processes. */
function figures(procs: Run[][]): Figures {
  return {
    cold: median(procs.map((rs) => Math.max(rs[0]!.p99, rs[1]?.p99 ?? 0))),
    warm: median(procs.map((rs) => median(rs.slice(2).map((r) => r.p99)))),
    startsCold: median(procs.map((rs) => rs[0]!.starts)),
    startsWarm: median(procs.map((rs) => median(rs.slice(2).map((r) => r.starts)))),
  };
}

const suite: BenchSuite = {
  name: "timers",
  async run({ quick }) {
    const n = quick ? 2000 : N;
    const procs = quick ? 1 : 3;
    const ts = (mode: string) => [...TS_NODE, path.join("bench", "probes", "timers.ts"), mode, String(n), String(RUNS), String(SEED)];
    const luas: { name: string; lua: LuaName; oracle: string }[] = [];
    for (const lua of ["lua5.4", "luajit"] as const) {
      const oracle = luaAvailable(lua);
      if (oracle !== null) luas.push({ name: lua === "luajit" ? "LuaJIT" : "Lua 5.4", lua, oracle });
    }
    const copas: Run[][] = [];
    const precise: Run[][] = [];
    const plain: Run[][] = [];
    const lua = new Map<string, Run[][]>(luas.map((l) => [l.name, []]));
    for (let p = 0; p < procs; p++) {
      // Interleaved, order flipped each time, so machine noise favours none.
      const jobs: (() => Promise<void>)[] = [
        async () => void copas.push(await probe(process.execPath, ts("copas"))),
        async () => void precise.push(await probe(process.execPath, ts("precise"))),
        async () => void plain.push(await probe(process.execPath, ts("plain"))),
        ...luas.map((l) => async () => void lua.get(l.name)!.push(await probe(l.oracle, [l.lua, path.join("bench", "probes", "timers.lua"), String(n), String(RUNS), String(SEED)]))),
      ];
      for (const j of p % 2 === 0 ? jobs : jobs.reverse()) await j();
    }
    const c = figures(copas);
    const pc = figures(precise);
    const b = figures(plain);
    const p50 = (runs: Run[][]) => median(runs.map((rs) => rs.at(-1)!.p50)).toFixed(2);
    const min = (runs: Run[][]) => Math.min(...runs.flat().map((r) => r.min)).toFixed(2);
    const l = luas.map((x) => ({ name: x.name, f: figures(lua.get(x.name)!) }));
    const what = `${n.toLocaleString("en-US")} random pauses 0-1 s`;
    const medians = procs > 1 ? `, medians of ${procs} processes` : "";
    const rows: BenchRow[] = [
      {
        name: `timers, ${what}: p99 lateness warm`,
        value: c.warm,
        unit: "ms",
        baseline: b.warm,
        baselineName: "async + timers/promises",
        target: "< 1 ms",
        pass: c.warm < 1,
        note:
          `runs 3-5 of ${RUNS} in a process${medians}; p50 ${p50(copas)} ms (plain ${p50(plain)}); ` +
          `earliest wake ${min(copas)} ms (plain ${min(plain)}: Node's timers end up to a millisecond early, a copas thread never wakes early)`,
        others: l.map((x) => ({ name: x.name, value: x.f.warm })),
      },
      {
        name: `timers on preciseClock, ${what}: p99 lateness warm`,
        value: pc.warm,
        unit: "ms",
        baseline: b.warm,
        baselineName: "async + timers/promises",
        target: "< 1 ms",
        pass: pc.warm < 1,
        note: `new Copas({ clock: preciseClock }): a helper thread keeps the time; p50 ${p50(precise)} ms, earliest wake ${min(precise)} ms; cold (runs 1-2): ${pc.cold.toFixed(1)} ms`,
      },
      {
        name: `timers, ${what}: p99 lateness cold`,
        value: c.cold,
        unit: "ms",
        baseline: b.cold,
        baselineName: "async + timers/promises",
        target: "< 10 ms",
        pass: c.cold < 10,
        note: `the worse of runs 1-2 of a fresh process${medians}`,
        others: l.map((x) => ({ name: x.name, value: x.f.cold })),
      },
      {
        name: `first ${n.toLocaleString("en-US")} thread starts, cold`,
        value: c.startsCold,
        unit: "ms",
        baseline: b.startsCold,
        baselineName: "async functions",
        note: `from the first addthread to the last thread's start; warm (runs 3-5): ${c.startsWarm.toFixed(1)} ms (plain ${b.startsWarm.toFixed(1)})`,
        others: l.map((x) => ({ name: x.name, value: x.f.startsCold })),
      },
    ];
    return rows;
  },
};

export default suite;
