// The load client of the echo benchmarks: loadgen.c (an epoll client in C, from the shared
// tools, built with gcc) when it can be built, else several Node processes (clients/node-load.ts).

import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CLIENT_CORE, Child, FD_LIMIT, findShared, pinned, TS_NODE, withFdLimit } from "./proc.js";

/** One load run's figures. */
export interface LoadResult {
  msgsPerSec: number;
  p50us: number;
  p99us: number;
  errors: number;
  /** Connections still open at the end. */
  alive: number;
  /** loadgen's own CPU use while measuring (%); near 100 means the client may be the limit. */
  clientCpu?: number;
}

export interface LoadClient {
  /** What drives the load, for the table's notes. */
  name: string;
  /** `core`: the core to pin the client to (default the client core; null: not pinned). */
  run(port: number, conns: number, seconds: number, warmup: number, core?: number | null): Promise<LoadResult>;
}

/** Where loadgen.c may be: $COPAS_LOADGEN_C, else shared/tools/ next to the repo (../shared from the root) or above. */
function findLoadgenSource(): string | null {
  return findShared(path.join("tools", "loadgen.c"), "COPAS_LOADGEN_C");
}

/** Builds loadgen (cached in the temp directory by the source's hash); null when impossible. */
function buildLoadgen(): string | null {
  const src = findLoadgenSource();
  if (src === null) return null;
  const hash = crypto.createHash("sha256").update(fs.readFileSync(src)).digest("hex").slice(0, 12);
  const bin = path.join(os.tmpdir(), `copas-bench-loadgen-${hash}`);
  if (fs.existsSync(bin)) return bin;
  const r = spawnSync("gcc", ["-O2", "-o", bin, src], { encoding: "utf8" });
  if (r.status !== 0) return null;
  return bin;
}

function parseLoadgen(line: string): LoadResult {
  const f = Object.fromEntries(line.split(/\s+/).map((kv) => kv.split("=") as [string, string]));
  return {
    msgsPerSec: Number(f["msgs/s"]),
    p50us: Number(f.p50_us),
    p99us: Number(f.p99_us),
    errors: Number(f.errors),
    alive: Number(f.alive),
    clientCpu: parseFloat(f.lg_cpu ?? "NaN"),
  };
}

function loadgenClient(bin: string): LoadClient {
  return {
    name: "loadgen.c",
    async run(port, conns, seconds, warmup, core = CLIENT_CORE) {
      // loadgen raises its own limit of open files (up to the hard limit).
      const [cmd, args] = pinned(core, bin, ["127.0.0.1", String(port), String(conns), String(seconds), "64", "echo", String(warmup), "30"]);
      const c = new Child("loadgen", cmd, args);
      const line = await c.out.expect("conns=", "loadgen");
      await c.exited;
      return parseLoadgen("conns=" + line);
    },
  };
}

function percentile(hist: Map<number, number>, total: number, p: number): number {
  const keys = [...hist.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const k of keys) {
    seen += hist.get(k)!;
    if (seen >= p * total) return k;
  }
  return keys.at(-1) ?? 0;
}

function nodeClient(): LoadClient {
  return {
    name: "node client processes",
    async run(port, conns, seconds, warmup, core = CLIENT_CORE) {
      const procs = conns >= 50 ? 2 : 1;
      const children: Child[] = [];
      for (let i = 0; i < procs; i++) {
        const n = Math.floor(conns / procs) + (i < conns % procs ? 1 : 0);
        const [cmd, args] = withFdLimit(
          FD_LIMIT,
          ...pinned(core, process.execPath, [...TS_NODE, path.join("bench", "clients", "node-load.ts"), String(port), String(n), String(seconds), "64", String(warmup)]),
        );
        children.push(new Child("node-load", cmd, args));
      }
      const hist = new Map<number, number>();
      let msgsPerSec = 0;
      let errors = 0;
      let alive = 0;
      let total = 0;
      for (const c of children) {
        const r = JSON.parse(await c.out.expect("{", "node-load").then((s) => "{" + s)) as { msgs: number; secs: number; lat: Record<string, number>; errors: number; alive: number };
        msgsPerSec += r.msgs / r.secs;
        errors += r.errors;
        alive += r.alive;
        for (const [k, v] of Object.entries(r.lat)) {
          hist.set(Number(k), (hist.get(Number(k)) ?? 0) + v);
          total += v;
        }
        await c.exited;
      }
      return { msgsPerSec, p50us: percentile(hist, total, 0.5), p99us: percentile(hist, total, 0.99), errors, alive };
    },
  };
}

/** loadgen.c when it builds (unless COPAS_BENCH_NODE_CLIENT=1), else the Node client. */
export function loadClient(): LoadClient {
  const bin = process.env.COPAS_BENCH_NODE_CLIENT === "1" ? null : buildLoadgen();
  return bin !== null ? loadgenClient(bin) : nodeClient();
}
