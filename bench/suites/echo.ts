// The seed's echo server on copas against a plain Node `net` callback echo server, each in its
// own process (pinned to one core), driven by the same load client in other processes (pinned to
// the other core): 64-byte lines over 1, 50, 500 and 2,000 connections. The pair is run
// interleaved (copas, plain, plain, copas, ...) so both see the same machine noise; the row
// gives the median of each, and the per-pair ratios in its notes.

import type { BenchRow, BenchSuite } from "../types.js";
import { loadClient, type LoadResult } from "../load.js";
import { startServer } from "../proc.js";

type Server = Awaited<ReturnType<typeof startServer>>;

const TARGET_RATIO = 0.8;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function health(r: LoadResult, conns: number): string {
  const bad: string[] = [];
  if (r.errors > 0) bad.push(`${r.errors} errors`);
  if (r.alive < conns) bad.push(`${r.alive}/${conns} alive`);
  return bad.join(", ");
}

const suite: BenchSuite = {
  name: "echo",
  async run({ quick }) {
    const client = loadClient();
    const seconds = quick ? 1 : 3;
    const warmup = quick ? 0.5 : 1;
    const rounds = quick ? 1 : 3;
    const copas = await startServer("copas-echo.ts");
    const plain = await startServer("plain-echo.ts");
    const rows: BenchRow[] = [];
    /** One load run on `srv`; pushes the server's CPU time per echoed line onto `cpu`. */
    const measured = async (srv: Server, conns: number, cpu: number[]): Promise<LoadResult> => {
      const [u0, m0] = (await srv.child.ask("cpu", "cpu")).split(" ").map(Number) as [number, number];
      const r = await client.run(srv.port, conns, seconds, warmup);
      const [u1, m1] = (await srv.child.ask("cpu", "cpu")).split(" ").map(Number) as [number, number];
      cpu.push((u1 - u0) / Math.max(1, m1 - m0));
      return r;
    };
    try {
      for (const conns of [1, 50, 500, 2000]) {
        const cs: LoadResult[] = [];
        const ps: LoadResult[] = [];
        const ratios: number[] = [];
        const n = conns === 2000 ? 1 : rounds;
        const cpuC: number[] = [];
        const cpuP: number[] = [];
        for (let r = 0; r < n; r++) {
          // Alternate who goes first, so a slow drift of the machine favours neither.
          if (r % 2 === 0) {
            cs.push(await measured(copas, conns, cpuC));
            ps.push(await measured(plain, conns, cpuP));
          } else {
            ps.push(await measured(plain, conns, cpuP));
            cs.push(await measured(copas, conns, cpuC));
          }
          ratios.push(cs[r]!.msgsPerSec / ps[r]!.msgsPerSec);
        }
        const c = median(cs.map((x) => x.msgsPerSec));
        const p = median(ps.map((x) => x.msgsPerSec));
        const ratio = c / p; // the table's ratio column: median over median
        const notes = [
          `p99 ${Math.round(median(cs.map((x) => x.p99us)))} us (plain ${Math.round(median(ps.map((x) => x.p99us)))} us)`,
          `server CPU ${median(cpuC).toFixed(1)} us/msg (plain ${median(cpuP).toFixed(1)})`,
          n > 1 ? `medians of ${n} interleaved pairs, pair ratios ${ratios.map((x) => x.toFixed(2) + "x").join(" ")}` : "one pair",
        ];
        const hc = health(cs.at(-1)!, conns);
        const hp = health(ps.at(-1)!, conns);
        if (hc) notes.push(`copas: ${hc}`);
        if (hp) notes.push(`plain: ${hp}`);
        const cpu = cs.at(-1)!.clientCpu;
        if (cpu !== undefined && cpu >= 95) notes.push(`client CPU ${Math.round(cpu)}%: the client may be the limit`);
        if (conns === 2000) notes.push("Lua Copas dies here: select() cannot take descriptors past 1,024");
        if (conns === 1) notes.push(`client: ${client.name}, ${seconds} s runs`);
        const targeted = conns === 50 || conns === 500;
        rows.push({
          name: `echo ${conns} conn${conns > 1 ? "s" : ""}, 64 B lines`,
          value: c,
          unit: "msgs/s",
          baseline: p,
          baselineName: "node net",
          ...(targeted ? { target: `>= ${TARGET_RATIO}x`, pass: ratio >= TARGET_RATIO } : {}),
          note: notes.join("; "),
        });
      }
    } finally {
      await copas.child.stop();
      await plain.child.stop();
    }
    return rows;
  },
};

export default suite;
