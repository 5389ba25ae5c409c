// One measured load run against an echo server: the load client's figures (msgs/s, latency)
// and the server's CPU time per echoed line, taken inside the client's measuring window.
//
// The window: the client first opens its connections (setup: one round trip each), then warms
// up, then measures. The runner watches the server's echo count until every connection has done
// its round trip, waits out the warm-up, and samples the server's CPU time and echo count at two
// instants inside the measuring phase (or just after it); accepts and start-up are outside.

import { setTimeout as sleep } from "node:timers/promises";
import type { EchoServer } from "./echo-servers.js";
import type { LoadClient, LoadResult } from "./load.js";

export interface Measured extends LoadResult {
  /** Server CPU microseconds per echoed line, or NaN when the CPU time could not be read. */
  cpuUs: number;
}

export async function measure(srv: EchoServer, client: LoadClient, conns: number, seconds: number, warmup: number, clientCore?: number | null): Promise<Measured> {
  const start = await srv.sample();
  let ended = false;
  const run = client.run(srv.port, conns, seconds, warmup, clientCore).finally(() => {
    ended = true;
  });
  // Setup is over once each connection has had its first line echoed (or the run ended).
  while (!ended && (await srv.sample()).echoed - start.echoed < conns) await sleep(20);
  type Sample = Awaited<ReturnType<EchoServer["sample"]>>;
  let a: Sample | null = null;
  let b: Sample | null = null;
  if (!ended) {
    await sleep(warmup * 1000 + 150);
    a = await srv.sample();
    await sleep(Math.max(0.2, seconds - 0.4) * 1000);
    // Taken even if the client has just stopped (a slow machine delays these samples): the idle
    // tail adds no message and next to no CPU time, so the ratio stays right.
    b = await srv.sample();
  }
  const r = await run;
  let cpuUs = NaN;
  if (a !== null && b !== null && a.cpu !== null && b.cpu !== null && b.echoed > a.echoed) {
    cpuUs = ((b.cpu - a.cpu) * 1e6) / (b.echoed - a.echoed);
  }
  return { ...r, cpuUs };
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
