// copas/sim: how fast a simulation runs. Both scenarios take no real time by design (a
// ManualClock with autoAdvance), so the figure is the wall time of the simulation itself.
//   echo:  10,000 connections to an echo server, 10 lines each, latency drawn per delivery
//          from [0.5, 5] ms, so nearly every delivery is its own instant (~240,000 steps)
//          (and, for comparison, with a fixed 1 ms latency: few instants, few steps)
//   pause: one simulated hour of 10,000 threads, each pausing 1..600 s (seeded) in turn
//          (~126,000 pauses, nearly all at distinct instants)
// Wall time is read with performance.now() here only (never in lib/).

import { Copas } from "copas";
import { ManualClock, Rng, SimNetwork, type Latency } from "copas/sim";
import type { BenchRow, BenchSuite } from "../types.js";

/** Wall and CPU seconds of `fn` (CPU time shows the cost when the machine is busy). */
async function timed(fn: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

async function echoRun(
  conns: number,
  lines: number,
  latency: Latency,
): Promise<{ wall: number; cpu: number; replies: number; virtual: number }> {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  const net = new SimNetwork({ clock, seed: 1, latency });
  const copas = new Copas({ network: net });
  const [server] = await net.socket.bind("10.0.0.1", 7, conns); // a backlog for every client
  copas.addserver(server!, function* (skt) {
    for (;;) {
      const [line] = yield* copas.receive(skt);
      if (line === null) break;
      yield* copas.send(skt, line + "\n");
    }
  });
  let replies = 0;
  let left = conns;
  const client = function* (i: number) {
    const c = copas.wrap(net.socket.tcp());
    const [ok, err] = yield* c.connect("10.0.0.1", 7);
    if (ok === null) throw new Error(`connect ${i}: ${err}`);
    for (let k = 0; k < lines; k++) {
      yield* c.send(`hello ${k} from ${i}\n`);
      const [line] = yield* c.receive();
      if (line !== null) replies++;
    }
    c.close();
    if (--left === 0) copas.removeserver(server!);
  };
  for (let i = 0; i < conns; i++) copas.addthread(client, i);
  const t = await timed(() => copas.loop());
  if (replies !== conns * lines) throw new Error(`sim echo: ${replies} replies, expected ${conns * lines}`);
  return { ...t, replies, virtual: clock.now() };
}

async function pauseRun(threads: number, hour: number): Promise<{ wall: number; cpu: number; pauses: number }> {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  const copas = new Copas({ network: new SimNetwork({ clock }) });
  const rng = new Rng(42);
  let pauses = 0;
  const sleeper = function* () {
    while (copas.gettime() < hour) {
      yield* copas.pause(rng.range(1, 600));
      pauses++;
    }
  };
  for (let i = 0; i < threads; i++) copas.addthread(sleeper);
  const t = await timed(() => copas.loop());
  return { ...t, pauses };
}

const suite: BenchSuite = {
  name: "sim",
  async run({ quick }) {
    const conns = quick ? 1000 : 10000;
    const threads = quick ? 1000 : 10000;
    const e = await echoRun(conns, 10, [0.0005, 0.005]);
    const f = await echoRun(conns, 10, 0.001);
    const p = await pauseRun(threads, 3600);
    const rows: BenchRow[] = [
      {
        name: `sim echo ${conns} conns x 10 lines`,
        value: e.wall,
        unit: "s",
        target: "< 2 s",
        pass: quick ? undefined : e.wall < 2,
        note: `${e.replies} replies, ${e.virtual.toFixed(3)} s simulated, cpu ${e.cpu.toFixed(2)} s`,
      },
      {
        name: `sim echo ${conns} conns x 10 lines, fixed latency`,
        value: f.wall,
        unit: "s",
        note: `1 ms each way: deliveries share instants, so few steps; cpu ${f.cpu.toFixed(2)} s`,
      },
      {
        name: `sim 1 h of ${threads} pausing threads`,
        value: p.wall,
        unit: "s",
        target: "< 1 s",
        pass: quick ? undefined : p.wall < 1,
        note: `${p.pauses} pauses of 1..600 s, cpu ${p.cpu.toFixed(2)} s`,
      },
    ];
    return rows;
  },
};

export default suite;
