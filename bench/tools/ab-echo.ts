// A/B test of the copas echo server between two checkouts (each a directory with package.json,
// node_modules, lib/ and bench/servers/, e.g. made with `git worktree add` or `git archive`):
// both servers pinned to the server core, loadgen on the client core, runs interleaved A B B A
// ..., and per round the ratio B/A of server CPU per message (from /proc, inside the measuring
// window) and of msgs/s. Machine noise moves both of a pair alike; read the median ratio.
//
//   node --import tsx bench/tools/ab-echo.ts DIR_A DIR_B [CONNS=50] [ROUNDS=6] [SECONDS=3] [SERVER=copas-echo.ts]
//
// SERVER may name two files, "plain-echo.ts,copas-echo.ts": A runs the first, B the second.
// AB_TOGETHER=1: each round runs A and B at the same time (both on the server core, two load
// clients on the client core), so they share whatever else the machine does at that moment.

import path from "node:path";
import { loadClient } from "../load.js";
import { Child, cpuSeconds, FD_LIMIT, pinned, SERVER_CORE, TS_NODE, withFdLimit } from "../proc.js";
import type { EchoServer } from "../echo-servers.js";
import { measure, median } from "../echo-measure.js";

const [dirA, dirB, connsArg = "50", roundsArg = "6", secondsArg = "3", file = "copas-echo.ts"] = process.argv.slice(2);
if (!dirA || !dirB) throw new Error("usage: ab-echo.ts DIR_A DIR_B [CONNS] [ROUNDS] [SECONDS] [SERVER]");

const [fileA, fileB = fileA] = file.split(",") as [string, string?];

async function start(name: string, dir: string, file: string): Promise<EchoServer> {
  const [cmd, args] = withFdLimit(FD_LIMIT, ...pinned(SERVER_CORE, process.execPath, [...TS_NODE, path.join("bench", "servers", file)]));
  const child = new Child(name, cmd, args, { PORT: "0" }, path.resolve(dir));
  const port = Number(await child.out.expect("listening", name));
  const pid = child.proc.pid!;
  return {
    name,
    port,
    async sample() {
      const [us, echoed] = (await child.ask("cpu", "cpu")).split(" ").map(Number) as [number, number];
      return { cpu: cpuSeconds(pid) ?? us / 1e6, echoed };
    },
    stop: () => child.stop(),
  };
}

const conns = Number(connsArg);
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);
const client = loadClient();
const a = await start("A", dirA, fileA);
const b = await start("B", dirB, fileB);
const cpuRatios: number[] = [];
const rateRatios: number[] = [];
const cpuA: number[] = [];
const cpuB: number[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [a, b] : [b, a];
    const res = new Map<EchoServer, Awaited<ReturnType<typeof measure>>>();
    if (process.env.AB_TOGETHER === "1") {
      const [ma, mb] = await Promise.all([measure(a, client, conns, seconds, 1), measure(b, client, conns, seconds, 1)]);
      res.set(a, ma);
      res.set(b, mb);
    } else for (const s of order) res.set(s, await measure(s, client, conns, seconds, 1));
    const ra = res.get(a)!;
    const rb = res.get(b)!;
    cpuA.push(ra.cpuUs);
    cpuB.push(rb.cpuUs);
    cpuRatios.push(rb.cpuUs / ra.cpuUs);
    rateRatios.push(rb.msgsPerSec / ra.msgsPerSec);
    console.log(
      `round ${r + 1}: A ${ra.cpuUs.toFixed(2)} us/msg ${Math.round(ra.msgsPerSec)}/s p99 ${Math.round(ra.p99us)} us | ` +
        `B ${rb.cpuUs.toFixed(2)} us/msg ${Math.round(rb.msgsPerSec)}/s p99 ${Math.round(rb.p99us)} us | B/A cpu ${(rb.cpuUs / ra.cpuUs).toFixed(3)} rate ${(rb.msgsPerSec / ra.msgsPerSec).toFixed(3)}`,
    );
  }
} finally {
  await a.stop();
  await b.stop();
}
console.log(
  `${conns} conns: median CPU/msg A ${median(cpuA).toFixed(2)} us, B ${median(cpuB).toFixed(2)} us; ` +
    `median B/A: cpu ${median(cpuRatios).toFixed(3)} (${cpuRatios.map((x) => x.toFixed(2)).join(" ")}), rate ${median(rateRatios).toFixed(3)}`,
);
