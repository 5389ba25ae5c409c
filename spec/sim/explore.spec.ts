import { expect } from "chai";
import { Copas, type AnySocket } from "copas";
import { SimNetwork } from "copas/sim";
import { explore, exploreIt, ExploreError, type Scenario } from "copas/testing";

/** An echo server on "srv" and one client on "cli" sending `n` lines; resolves the replies. */
function echoScenario(n: number, check: (replies: string[]) => unknown = () => true): Scenario<Copas> {
  return (w) => {
    const d = w.copas;
    const replies: string[] = [];
    w.copas.addthread(function* () {
      const [server] = yield* d.await(w.net.socket.bind("srv", 7));
      d.addserver(server!, function* (skt: AnySocket) {
        for (;;) {
          const [line] = yield* d.receive(skt);
          if (line === null) return;
          yield* d.send(skt, line + "\n");
        }
      });
      const raw = w.net.socket.tcp();
      raw.bind("cli", 0);
      const c = d.wrap(raw);
      c.settimeout(5);
      yield* c.connect("srv", 7);
      for (let i = 0; i < n; i++) {
        yield* c.send(`line ${i}\n`);
        const [r, e] = yield* c.receive();
        replies.push(r ?? `error ${e}`);
      }
      c.close();
      d.removeserver(server!);
    });
    return { end: () => check(replies) };
  };
}

describe("sim/explore: the explorer", () => {
  it("runs every seed and reports no failure when all pass", async () => {
    const seen: number[] = [];
    const r = await explore({ seeds: 5, first: 10 }, (w) => {
      seen.push(w.seed);
      return echoScenario(3, (rs) => rs.length === 3)(w);
    });
    expect(r).to.deep.equal({ runs: 5, failure: null });
    expect(seen).to.deep.equal([10, 11, 12, 13, 14]);
  });

  it("stops at the first failing seed and reports seed, virtual time, trace tail and replay", async () => {
    const r = await explore({ seeds: 50, faults: { reset: 0.05 }, title: "my suite my test", tail: 5 }, echoScenario(20, (rs) => {
      expect(rs.filter((x) => x.startsWith("error"))).to.deep.equal([]);
    }));
    const f = r.failure!;
    expect(f).to.not.equal(null);
    expect(r.runs).to.equal(f.seed); // seeds 1.. in order: the first failure stops it
    expect(f.message).to.match(/^end check failed: expected \[.*\] to deeply equal \[\]$/);
    expect(f.time).to.be.above(0);
    expect(f.tail).to.have.length(5);
    expect(f.tail).to.deep.equal(f.trace.slice(-5));
    expect(f.replayed).to.equal(true);
    expect(f.replay).to.equal(`SEED=${f.seed} npm test -- -g 'my suite my test'`);
    expect(f.report).to.include(`explore: seed ${f.seed} failed (run ${r.runs}) at ${Math.round(f.time * 1e6) / 1e6} s of virtual time`);
    expect(f.report).to.include(`replay: SEED=${f.seed} npm test -- -g 'my suite my test'`);
    expect(f.report).to.match(/faults in the trace \(\d+\):\n {4}[\d.]+ fault reset cli:\d+>srv:7 #\d+|fault reset srv:7>cli:\d+ #\d+/);
  });

  it("replays a seed bit for bit; another seed gives another run", async () => {
    const fails = (): Scenario<Copas> => echoScenario(10, () => false);
    const opts = { latency: [0.001, 0.1] as [number, number], faults: { spike: 0.1 }, shrink: false };
    const a = (await explore({ ...opts, seeds: [7] }, fails())).failure!;
    const b = (await explore({ ...opts, seeds: [7] }, fails())).failure!;
    const c = (await explore({ ...opts, seeds: [8] }, fails())).failure!;
    expect(a.trace.length).to.be.above(40);
    expect(b.trace).to.deep.equal(a.trace);
    expect(b.time).to.equal(a.time);
    expect(c.trace).to.not.deep.equal(a.trace);
    expect(a.message).to.equal("end check failed");
  });

  it("checks invariants after every step, catching what the end would not see", async () => {
    let steps = 0;
    const r = await explore({ seeds: 1 }, (w) => {
      let level = 0;
      w.copas.addthread(function* () {
        yield* w.copas.pause(1);
        level = 2; // for one step only
        yield* w.copas.pause(1);
        level = 1;
      });
      return {
        invariant: () => {
          steps++;
          return level <= 1;
        },
        end: () => level === 1,
      };
    });
    expect(r.failure!.message).to.equal("invariant failed");
    expect(r.failure!.time).to.equal(1);
    expect(steps).to.be.above(1);
  });

  it("fails a run still going at maxTime (a thread waiting forever)", async () => {
    const r = await explore({ seeds: 1, maxTime: 10 }, (w) => {
      w.copas.addthread(function* () {
        const u = w.copas.wrap(w.net.socket.udp());
        yield* w.copas.await(u.setsockname("a", 1));
        yield* u.receive(); // nobody sends
      });
    });
    expect(r.failure!.message).to.equal("still running at 10 s of virtual time (a thread waiting forever?)");
    expect(r.failure!.time).to.equal(10);
  });

  it("fails a run whose thread throws, or whose scenario throws", async () => {
    const a = await explore({ seeds: 1 }, (w) => {
      w.copas.addnamedthread("bad", function* () {
        yield* w.copas.pause(2);
        throw new Error("boom");
      });
    });
    expect(a.failure!.message).to.equal("a thread failed: boom (coroutine: bad, socket: nil)");
    expect(a.failure!.time).to.equal(2);
    const u = await explore({ seeds: 1 }, (w) => {
      w.copas.addthread(() => {
        throw new Error("unnamed");
      });
    });
    // Unnamed threads have process-wide ids in their names: left out, so the seed replays.
    expect(u.failure!.message).to.equal("a thread failed: unnamed (coroutine: an unnamed thread, socket: nil)");
    expect(u.failure!.replayed).to.equal(true);
    const b = await explore({ seeds: 1 }, () => {
      throw new Error("no setup");
    });
    expect(b.failure!.message).to.equal("the scenario threw: no setup");
    const c = await explore({ seeds: 1, threadErrors: false }, (w) => {
      w.copas.seterrorhandler(() => {}, true);
      w.copas.addthread(() => {
        throw new Error("ignored");
      });
    });
    expect(c.failure).to.equal(null);
  });

  it("says so when a seed does not fail the same way twice (state outside the world)", async () => {
    let runs = 0;
    const r = await explore({ seeds: 1 }, (w) => {
      const mine = ++runs;
      w.copas.addthread(function* () {
        yield* w.copas.pause(mine);
      });
      return { end: () => false };
    });
    expect(r.failure!.replayed).to.equal(false);
    expect(r.failure!.report).to.include("WARNING: the seed did not fail the same way when run again");
  });

  it("stops trying new seeds when the real-time budget is spent", async () => {
    let t = 0;
    const realClock = { now: () => (t += 1), setTimer: () => null, clearTimer: () => {} };
    const r = await explore({ seeds: 1000, budget: 5, realClock }, echoScenario(1));
    expect(r.runs).to.equal(5);
    expect(r.failure).to.equal(null);
  });

  it("shrinks the faults of a failing seed to a few that still fail, which replay with keep", async () => {
    // Fails when datagram 13 is lost: only that loss matters among all the seeded ones.
    const scenario: Scenario<Copas> = (w) => {
      const d = w.copas;
      const got = new Set<number>();
      d.addthread(function* () {
        const rx = d.wrap(w.net.socket.udp());
        yield* d.await(rx.setsockname("b", 9));
        const tx = d.wrap(w.net.socket.udp());
        for (let k = 0; k < 40; k++) tx.sendto(String(k), "b", 9);
        rx.settimeout(1);
        for (;;) {
          const [m] = yield* rx.receive();
          if (m === null) break;
          got.add(Number(m));
        }
        rx.close();
        tx.close();
      });
      return { end: () => got.has(13) };
    };
    const r = await explore({ seeds: 100, faults: { loss: 0.3 } }, scenario);
    const f = r.failure!;
    expect(f.faults).to.be.above(3);
    expect(f.keep).to.have.length(1);
    expect(f.report).to.include(`it still fails with only #${f.keep![0]}`);
    expect(f.report).to.include(`replay with fewer faults: SEED=${f.seed} KEEP_FAULTS=${f.keep![0]} (run the test again with this seed)`);
    const again = await explore({ seeds: [f.seed], faults: { loss: 0.3 }, keep: f.keep, shrink: false }, scenario);
    const losses = again.failure!.trace.filter((l) => / fault loss /.test(l));
    expect(losses).to.have.length(1);
    expect(losses[0]).to.match(/ fault loss udp 127\.0\.0\.1:\d+>b:9 2 bytes #\d+$/);
  });

  it("checks its options", () => {
    const s = echoScenario(1);
    const bad = (o: object, re: RegExp) => expect(() => explore(o, s)).to.throw(TypeError, re);
    bad({ seeds: 0 }, /explore: bad argument 'options.seeds'/);
    bad({ seeds: [] }, /options\.seeds/);
    bad({ budget: 1, realClock: undefined, seeds: 1 }, /options\.budget|options\.realClock/);
    bad({ maxTime: Infinity }, /options\.maxTime/);
    bad({ faults: { reset: 3 } }, /explore: bad argument 'faults\.reset'/);
    bad({ keep: [-1] }, /options\.keep/);
    expect(() => explore({}, 5 as never)).to.throw(TypeError, /explore: bad argument 'scenario'/);
  });

  describe("exploreIt", () => {
    /** Defines a test with a stand-in for mocha's `it` and runs it: its error, or null. */
    async function runIt(env: Record<string, string>, scenario: Scenario<Copas>): Promise<unknown> {
      const g = globalThis as { it?: unknown };
      const realIt = g.it;
      let body: ((this: unknown) => Promise<void>) | null = null;
      g.it = (_title: string, fn: typeof body) => (body = fn);
      const saved = { ...process.env };
      try {
        exploreIt("a title", { seeds: 20 }, scenario);
        Object.assign(process.env, env);
        await body!.call({ test: { fullTitle: () => "suite a title" }, timeout: () => {} });
        return null;
      } catch (e) {
        return e;
      } finally {
        g.it = realIt;
        for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
        Object.assign(process.env, saved);
      }
    }

    it("fails with the report; SEED=n runs that seed only", async () => {
      const seeds: number[] = [];
      const failOn = (n: number): Scenario<Copas> => (w) => {
        seeds.push(w.seed);
        return { end: () => w.seed !== n };
      };
      const e = await runIt({}, failOn(4));
      expect(e).to.be.an.instanceof(ExploreError);
      expect((e as ExploreError).failure.seed).to.equal(4);
      expect((e as Error).message).to.include("replay: SEED=4 npm test -- -g 'suite a title'");
      seeds.length = 0;
      expect(await runIt({ SEED: "17" }, failOn(4))).to.equal(null);
      expect(seeds).to.deep.equal([17]);
      const e2 = await runIt({ SEED: "4" }, failOn(4));
      expect((e2 as ExploreError).failure.seed).to.equal(4);
      expect(await runIt({ SEED: "x" }, failOn(4))).to.be.an.instanceof(TypeError);
    });

    exploreIt("registers a mocha test that passes when every seed does", { seeds: 10 }, echoScenario(2, (rs) => rs.length === 2));
  });

  it("keeps copas/sim free of Node and of the dispatcher", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const root = path.resolve(import.meta.dirname, "../..");
    const seen = new Set<string>();
    const todo = [path.join(root, "lib/sim/index.ts")];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const m of fs.readFileSync(f, "utf8").matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = m[1]!;
        expect(spec.startsWith("."), `${path.relative(root, f)} imports ${spec}`).to.equal(true);
        todo.push(path.resolve(path.dirname(f), spec.replace(/\.js$/, ".ts")));
      }
    }
    const files = [...seen].map((f) => path.relative(root, f));
    expect(files.filter((f) => /^lib\/(core|node)\/|^lib\/copas\.ts$/.test(f))).to.deep.equal([]);
    expect(new SimNetwork()).to.be.an.instanceof(SimNetwork);
  });
});
