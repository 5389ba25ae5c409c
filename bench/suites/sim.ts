// copas/sim: how fast a simulation runs. Both scenarios take no real time by design (a
// ManualClock with autoAdvance), so the figure is the wall time of the simulation itself.
//   echo:  10,000 connections to an echo server, 10 lines each, latency drawn per delivery
//          from [0.5, 5] ms, so nearly every delivery is its own instant (~240,000 steps)
//          (and, for comparison, with a fixed 1 ms latency: few instants, few steps)
//   pause: one simulated hour of 10,000 threads, each pausing 1..600 s (seeded) in turn
//          (~126,000 pauses, nearly all at distinct instants)
//   explore: the explorer's seeds per second on one core: each seed a fresh world where 10
//          clients send `msgs` lines in all to an echo server and read them back, reconnecting
//          after a reset, with faults on (resets, latency spikes, chunk sizes 1..64, partitions
//          that come and heal); checked at the end, and (second figure) after every step
// Wall time is read with performance.now() here only (never in lib/).

import { Copas, type AnySocket } from "copas";
import { ManualClock, Rng, SimNetwork, type FaultOptions, type Latency } from "copas/sim";
import { explore, type Scenario } from "copas/testing";
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

const FAULTS: FaultOptions = { reset: 0.002, spike: 0.01, spikeLatency: [0.1, 0.5], chunkSize: [1, 64], partition: 0.2, partitionLength: [0.1, 1] };

/** 10 clients, `msgs` lines in all, echoed back through faults; every line must come back. */
function echoScenario(msgs: number, perStep: boolean): Scenario<Copas> {
  return (w) => {
    const d = w.copas;
    const clients = 10;
    let echoed = 0;
    let left = clients;
    d.addthread(function* () {
      const [server] = yield* d.await(w.net.socket.bind("srv", 7));
      d.addserver(server!, function* (skt: AnySocket) {
        for (;;) {
          const [line] = yield* d.receive(skt);
          if (line === null) return;
          yield* d.send(skt, line + "\n");
        }
      });
      for (let c = 0; c < clients; c++) {
        d.addthread(function* () {
          let skt: ReturnType<Copas["wrap"]> | null = null;
          for (let k = 0; k < msgs / clients; ) {
            if (skt === null) {
              const raw = w.net.socket.tcp();
              raw.bind(`10.0.0.${c}`, 0);
              skt = d.wrap(raw);
              skt.settimeout(2);
              if ((yield* skt.connect("srv", 7))[0] === null) {
                skt.close();
                skt = null;
                continue;
              }
            }
            const line = `message ${k} from client ${c}`;
            yield* skt.send(line + "\n");
            const [back] = yield* skt.receive();
            if (back === line) {
              echoed++;
              k++;
            } else {
              skt.close();
              skt = null;
            }
          }
          skt?.close();
          if (--left === 0) d.removeserver(server!);
        });
      }
    });
    const end = () => echoed === msgs;
    return perStep ? { invariant: () => echoed <= msgs, end } : { end };
  };
}

/** Seeds per second of the explorer over `seeds` seeds (all must pass). */
async function exploreRun(seeds: number, msgs: number, perStep: boolean): Promise<{ wall: number; cpu: number; rate: number }> {
  // A machine shared with other work slows the wall clock: the note gives CPU seconds too.
  let runs = 0;
  const t = await timed(async () => {
    const r = await explore({ seeds, faults: FAULTS, latency: [0.001, 0.02], maxTime: 600 }, echoScenario(msgs, perStep));
    if (r.failure !== null) throw new Error(`sim explore: seed ${r.failure.seed} failed: ${r.failure.message}`);
    runs = r.runs;
  });
  return { ...t, rate: runs / t.wall };
}

const suite: BenchSuite = {
  name: "sim",
  async run({ quick }) {
    const conns = quick ? 1000 : 10000;
    const threads = quick ? 1000 : 10000;
    const e = await echoRun(conns, 10, [0.0005, 0.005]);
    const f = await echoRun(conns, 10, 0.001);
    const p = await pauseRun(threads, 3600);
    const seeds = quick ? 50 : 500;
    const x = await exploreRun(seeds, 100, false);
    const xs = await exploreRun(seeds, 100, true);
    const xl = await exploreRun(quick ? 10 : 100, 1000, false);
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
      {
        name: "sim explore: 10 clients, 100 messages, faults on",
        value: Math.round(x.rate),
        unit: "seeds/s",
        target: ">= 200/s",
        pass: quick ? undefined : x.rate >= 200,
        note:
          `${seeds} seeds, checked at the end, cpu ${x.cpu.toFixed(2)} s (${Math.round(seeds / x.cpu)} per cpu-second); ` +
          `per-step invariant: ${Math.round(xs.rate)}/s (${Math.round(seeds / xs.cpu)} per cpu-second)`,
      },
      {
        name: "sim explore: 10 clients, 1000 messages, faults on",
        value: Math.round(xl.rate),
        unit: "seeds/s",
        note: `${quick ? 10 : 100} seeds, checked at the end, cpu ${xl.cpu.toFixed(2)} s (${Math.round((quick ? 10 : 100) / xl.cpu)} per cpu-second)`,
      },
    ];
    return rows;
  },
};

export default suite;
