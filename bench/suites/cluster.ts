// Every core: the echo server on 2 cluster() workers against the same on 1 worker, under the
// same load (loadgen.c, 500 connections, 64-byte lines). Nothing is pinned here: the workers,
// the primary and the load client all share the machine's cores (on a 2-core machine the client
// takes part of a core the workers would otherwise use, so the gain is a floor). Runs alternate
// 1-worker and 2-worker servers, order flipped each round; medians over the rounds.

import type { BenchRow, BenchSuite } from "../types.js";
import { loadClient } from "../load.js";
import { startNodeServer, type EchoServer } from "../echo-servers.js";
import { measure, median, type Measured } from "../echo-measure.js";
import os from "node:os";

const CONNS = 500;

const suite: BenchSuite = {
  name: "cluster",
  async run({ quick }) {
    const client = loadClient();
    const seconds = quick ? 1 : 3;
    const warmup = quick ? 0.5 : 1;
    const rounds = quick ? 1 : 3;
    const servers: EchoServer[] = [];
    try {
      const opts = (workers: number) => ({ env: { WORKERS: String(workers) }, core: null, ownCpu: true });
      const one = await startNodeServer("1 worker", "cluster-echo.ts", opts(1));
      servers.push(one);
      const two = await startNodeServer("2 workers", "cluster-echo.ts", opts(2));
      servers.push(two);
      const got = new Map<EchoServer, Measured[]>([
        [one, []],
        [two, []],
      ]);
      for (let r = 0; r < rounds; r++) {
        for (const s of r % 2 === 0 ? [one, two] : [two, one]) got.get(s)!.push(await measure(s, client, CONNS, seconds, warmup, null));
      }
      const rate = (s: EchoServer) => median(got.get(s)!.map((m) => m.msgsPerSec));
      const p99 = (s: EchoServer) => median(got.get(s)!.map((m) => m.p99us));
      const ratios = got.get(two)!.map((m, i) => (m.msgsPerSec / got.get(one)![i]!.msgsPerSec).toFixed(2) + "x");
      const lg = median(got.get(two)!.map((m) => m.clientCpu ?? NaN));
      const row: BenchRow = {
        name: `echo on 2 cluster() workers vs 1, ${CONNS} conns: msgs/s`,
        value: rate(two),
        unit: "msgs/s",
        baseline: rate(one),
        baselineName: "1 worker",
        target: "> 1x",
        pass: rate(two) > rate(one),
        note:
          `p99 ${(p99(two) / 1000).toFixed(1)} ms (1 worker ${(p99(one) / 1000).toFixed(1)} ms); ${os.cpus().length} cores shared by the workers, ` +
          `the primary and ${client.name} (unpinned; client CPU ${Math.round(lg)}% of a core); ` +
          (rounds > 1 ? `medians of ${rounds} interleaved rounds, ratio per round ${ratios.join(" ")}` : "one round"),
      };
      return [row];
    } finally {
      for (const s of servers) await s.stop();
    }
  },
};

export default suite;
