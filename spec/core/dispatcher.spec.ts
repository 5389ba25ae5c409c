import { expect } from "chai";
import sinon from "sinon";
import defaultCopas, { Copas, FAIRNESS_INTERVAL, type TcpSocket, type Thread } from "copas";
import type { ManualClock } from "copas/sim";
import { collect } from "../helpers/gc.js";
import { autoClock, idled } from "../helpers/run.js";
import { listen, pair, received } from "../helpers/net.js";
import { SpyNetwork } from "../helpers/network.js";

/** A dispatcher on a hand-driven clock; `auto` jumps idle waits (no data may be expected then). */
function fake(auto = false): [Copas, ManualClock] {
  const clock = autoClock(0, auto);
  return [new Copas({ clock }), clock];
}

/** Collects what the default error handler would print. */
function stubStderr(): sinon.SinonStub {
  return sinon.stub(process.stderr, "write").returns(true);
}

describe("dispatcher", () => {
  afterEach(() => sinon.restore());

  describe("scheduling order", () => {
    it("starts an added thread on the next step, not inside addthread", async () => {
      const [copas] = fake();
      const log: string[] = [];
      copas.addthread(function* () {
        log.push("ran");
      });
      expect(log).to.deep.equal([]);
      expect(copas.finished()).to.equal(false);
      await copas.step(0);
      expect(log).to.deep.equal(["ran"]);
      expect(copas.finished()).to.equal(true);
    });

    it("runs readable, then writable, then due timers, then runnable (accept running its handler at once)", async () => {
      const clock = autoClock(0, false);
      const net = new SpyNetwork(clock);
      const copas = new Copas({ network: net, clock });
      const log: string[] = [];
      const [server, port] = await listen(copas);
      const [other, otherPort] = await listen(copas); // not served: W connects to it
      copas.addserver(server, function* () {
        log.push("handler");
      });
      const [a, b] = await pair(copas);
      const master = copas.socket.tcp();

      copas.addnamedthread("R", function* () {
        const [line] = yield* copas.receive(b);
        log.push("R " + line);
      });
      copas.addnamedthread("W", function* () {
        const r = yield* copas.connect(master, "127.0.0.1", otherPort);
        log.push("W " + r[0]);
      });
      copas.addnamedthread("T", function* () {
        yield* copas.pause(1);
        log.push("T");
      });
      copas.addnamedthread("Q", function* () {
        for (let i = 0; i < 3; i++) {
          log.push("Q" + i);
          yield* copas.pause(0);
        }
      });
      await copas.step(0); // everyone starts and waits
      expect(log).to.deep.equal(["Q0"]);
      const writable = new Promise<void>((r) => (master._stream as unknown as NodeJS.EventEmitter).once("connect", () => r()));

      // Everything becomes ready before the next step: W's connect completes; data for R
      // arrives, then a client for the server; the clock reaches T's wake-up.
      a.send("hello\n");
      await received(b, 6);
      const connected = net.connected();
      const [c] = await copas.socket.connect("127.0.0.1", port);
      await Promise.all([connected, writable]);
      clock.advance(1);

      log.length = 0;
      await copas.step(0);
      // Q made itself runnable again during this step's runnable phase: it runs in the next.
      expect(log).to.deep.equal(["R hello", "handler", "W 1", "Q1", "T"]);
      log.length = 0;
      await copas.step(0);
      expect(log).to.deep.equal(["Q2"]);
      copas.removeserver(server);
      for (const s of [a, b, master, other, c!]) s.close();
      await copas.loop();
    });

    it("runs runnable threads in the order they became runnable", async () => {
      const [copas] = fake();
      const log: string[] = [];
      const th: Record<string, Thread> = {};
      for (const n of ["A", "B", "C"]) {
        th[n] = copas.addnamedthread(n, function* () {
          yield* copas.pauseforever();
          log.push(n);
        });
      }
      await copas.step(0);
      copas.wakeup(th.C!);
      copas.wakeup(th.A!);
      copas.wakeup(th.B!);
      copas.wakeup(th.C!); // already runnable: keeps its place
      await copas.step(0);
      expect(log).to.deep.equal(["C", "A", "B"]);
    });

    it("queues a thread woken during the runnable phase for the next step", async () => {
      const [copas] = fake();
      const log: string[] = [];
      const sleeper = copas.addnamedthread("sleeper", function* () {
        yield* copas.pauseforever();
        log.push("sleeper");
      });
      copas.addnamedthread("waker", function* () {
        yield* copas.pause(0);
        copas.wakeup(sleeper);
        log.push("waker");
      });
      await copas.step(0);
      await copas.step(0);
      expect(log).to.deep.equal(["waker"]);
      await copas.step(0);
      expect(log).to.deep.equal(["waker", "sleeper"]);
    });

    it("step() says whether socket events were handled", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      copas.addthread(function* () {
        yield* copas.receive(b);
      });
      expect(await copas.step(0)).to.equal(false);
      a.send("x\n");
      await received(b, 2);
      expect(await copas.step(0)).to.equal(true);
      a.close();
      b.close();
    });

    it("step(timeout) returns after the timeout when nothing happens", async () => {
      const [copas, clock] = fake();
      const [a, b] = await pair(copas);
      copas.addthread(function* () {
        yield* copas.receive(b);
      });
      await copas.step(0);
      const p = copas.step(2);
      clock.advance(2);
      expect(await p).to.equal(false);
      a.close();
      await copas.loop();
      b.close();
    });
  });

  describe("fairness", () => {
    it("makes a thread whose ops never wait yield every FAIRNESS_INTERVAL ops, deterministically", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      a.send("x".repeat(35));
      await received(b, 35);
      const log: string[] = [];
      let reads = 0;
      copas.addthread(function* () {
        for (let i = 0; i < 35; i++) {
          yield* copas.receive(b, 1);
          log.push("r");
          reads++;
        }
      });
      copas.addthread(function* () {
        while (reads < 35) {
          log.push("|");
          yield* copas.pause(0);
        }
      });
      await copas.loop();
      expect(FAIRNESS_INTERVAL).to.equal(10);
      // Every 10th op pauses before it returns: the other thread runs there.
      expect(log.join("")).to.equal("r".repeat(9) + "|" + "r".repeat(10) + "|" + "r".repeat(10) + "|" + "r".repeat(6));
      a.close();
      b.close();
    });
  });

  describe("loop, exit and waitforexit", () => {
    it("calls exit() when finished, and returns when finished again", async () => {
      const [copas] = fake(true);
      const log: string[] = [];
      copas.addthread(function* () {
        log.push("exiting " + copas.exiting());
        yield* copas.waitforexit();
        log.push("woken, exiting " + copas.exiting());
        yield* copas.pause(5); // more work after exit: the loop runs it
        log.push("cleaned up");
      });
      expect(copas.running).to.equal(false);
      const p = copas.loop();
      expect(copas.running).to.equal(true);
      await p;
      expect(copas.running).to.equal(false);
      expect(log).to.deep.equal(["exiting false", "woken, exiting true", "cleaned up"]);
    });

    it("waitforexit returns at once once exiting; exit() is idempotent", async () => {
      const [copas] = fake();
      const log: string[] = [];
      copas.addthread(function* () {
        copas.exit();
        copas.exit();
        yield* copas.waitforexit();
        log.push("past");
      });
      await copas.loop();
      expect(log).to.deep.equal(["past"]);
      expect(copas.exiting()).to.equal(true);
    });

    it("reports an init that throws, and ends", async () => {
      const [copas] = fake();
      const errs: unknown[] = [];
      copas.seterrorhandler((e, t) => errs.push([String(e), t && t.name]), true);
      await copas.loop(function* () {
        throw new Error("init");
      });
      expect(errs).to.deep.equal([["Error: init", "copas_initializer"]]);
    });

    it("runs init as thread copas_initializer; rejects a second loop", async () => {
      const [copas] = fake();
      let name = "";
      let second: unknown = null;
      await copas.loop(function* () {
        name = copas.getthreadname();
        yield* copas.await(copas.loop().catch((e: unknown) => (second = e)));
      });
      expect(name).to.equal("copas_initializer");
      expect(String(second)).to.contain("already running");
    });

    it("the callable default export runs the loop", async () => {
      expect(defaultCopas).to.be.a("function");
      let ran = false;
      await defaultCopas(function* () {
        yield* defaultCopas.pause(0);
        ran = true;
      });
      expect(ran).to.equal(true);
      expect(defaultCopas.running).to.equal(false);
    });
  });

  describe("pause, pauseforever, sleep and wakeup", () => {
    it("pause(s) sleeps s seconds of the dispatcher's clock and gives the time slept", async () => {
      const [copas, clock] = fake();
      const got: number[] = [];
      copas.addthread(function* () {
        got.push(yield* copas.pause(1.5));
        got.push(yield* copas.pause(-3)); // negative: as 0
        got.push(yield* copas.pause());
      });
      await copas.step(0);
      expect(copas.status().timer).to.equal(1);
      clock.advance(1);
      await copas.step(0);
      expect(got).to.deep.equal([]);
      clock.advance(0.5);
      await copas.step(0);
      expect(got).to.deep.equal([1.5]);
      await copas.step(0);
      await copas.step(0);
      expect(got).to.deep.equal([1.5, 0, 0]);
      expect(copas.finished()).to.equal(true);
    });

    it("never waits past the next timer in loop()", async () => {
      const [copas, clock] = fake(true);
      const times: number[] = [];
      copas.addthread(function* () {
        for (const s of [3, 0.5, 2]) {
          yield* copas.pause(s);
          times.push(copas.gettime());
        }
      });
      await copas.loop();
      expect(times).to.deep.equal([3, 3.5, 5.5]);
      expect(clock.now()).to.equal(5.5);
    });

    it("pauseforever sleeps until wakeup, gives the time slept, and does not keep the loop alive", async () => {
      const [copas, clock] = fake();
      let slept: number | null = null;
      const t = copas.addthread(function* () {
        slept = yield* copas.pauseforever();
      });
      await copas.step(0);
      expect(copas.status().inactive).to.equal(1);
      expect(copas.finished()).to.equal(true);
      clock.advance(7);
      copas.wakeup(t);
      expect(copas.finished()).to.equal(false);
      await copas.step(0);
      expect(slept).to.equal(7);
    });

    it("a loop ends with a thread still paused forever", async () => {
      const [copas] = fake();
      let after = false;
      copas.addthread(function* () {
        yield* copas.pauseforever();
        after = true;
      });
      await copas.loop();
      expect(after).to.equal(false);
    });

    it("sleep(-1) sleeps until woken; sleep(s) sleeps s; wakeup cuts a sleep short", async () => {
      const [copas, clock] = fake();
      const log: string[] = [];
      const t = copas.addthread(function* () {
        yield* copas.sleep(-1);
        log.push("woken " + copas.gettime());
        yield* copas.sleep(10);
        log.push("woken " + copas.gettime());
      });
      await copas.step(0);
      clock.advance(1);
      copas.wakeup(t);
      await copas.step(0);
      expect(log).to.deep.equal(["woken 1"]);
      clock.advance(2);
      copas.wakeup(t);
      await copas.step(0);
      expect(log).to.deep.equal(["woken 1", "woken 3"]);
      expect(copas.status().timer).to.equal(0);
    });

    it("wakeup leaves a thread waiting on a socket alone", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      const got: unknown[] = [];
      const t = copas.addthread(function* () {
        got.push(yield* copas.receive(b));
      });
      await copas.step(0);
      copas.wakeup(t);
      await copas.step(0);
      expect(got).to.deep.equal([]);
      a.send("x\n");
      await copas.loop();
      expect(got).to.deep.equal([["x", null, null]]);
      a.close();
      b.close();
    });
  });

  describe("timeout(delay, callback)", () => {
    it("calls back with the thread after delay", async () => {
      const [copas, clock] = fake();
      const calls: [Thread, number][] = [];
      const t = copas.addthread(function* () {
        copas.timeout(2, (th) => {
          calls.push([th, copas.gettime()]);
          copas.wakeup(th);
        });
        yield* copas.pauseforever();
      });
      await copas.step(0);
      expect(copas.status().timeout).to.equal(1);
      clock.advance(2);
      await copas.step(0);
      expect(calls).to.deep.equal([[t, 2]]);
      await copas.step(0);
      expect(t.status()).to.equal("dead");
      expect(copas.status().timeout).to.equal(0);
    });

    it("0 and Infinity cancel; a new timeout replaces the old", async () => {
      const [copas] = fake(true);
      const fired: string[] = [];
      copas.addthread(function* () {
        copas.timeout(1, () => fired.push("a"));
        copas.timeout(0);
        copas.timeout(1, () => fired.push("b"));
        copas.timeout(Infinity);
        copas.timeout(1, () => fired.push("c"));
        copas.timeout(2, () => fired.push("d"));
        expect(copas.status().timeout).to.equal(1);
        yield* copas.pause(3);
      });
      await copas.loop();
      expect(fired).to.deep.equal(["d"]);
    });

    it("throws on a negative delay and on bad arguments", async () => {
      const [copas] = fake();
      const errs: unknown[] = [];
      copas.addthread(function* () {
        for (const args of [[-1], ["1"], [1, 5]] as unknown[][]) {
          try {
            (copas.timeout as (...a: unknown[]) => unknown)(...args);
          } catch (e) {
            errs.push(e);
          }
        }
        yield* copas.pause(0);
      });
      await copas.loop();
      expect(errs).to.have.length(3);
      expect(String(errs[0])).to.contain("timout value must be greater than or equal to 0, got: -1");
      expect(errs[1]).to.be.instanceOf(TypeError);
      expect(String(errs[1])).to.contain("'delay'");
      expect(String(errs[2])).to.contain("'callback'");
      expect(() => copas.timeout(1)).to.throw("must run inside a copas thread");
    });

    it("sends a callback's error to the default handler, as thread copas_core_timer", async () => {
      const [copas] = fake(true);
      const seen: [string, string][] = [];
      copas.seterrorhandler((err, t) => seen.push([(err as Error).message, copas.getthreadname(t)]), true);
      copas.addthread(function* () {
        copas.seterrorhandler(() => seen.push(["own handler", ""])); // not used for timers
        copas.timeout(1, () => {
          throw new Error("cb failed");
        });
        yield* copas.pause(2);
      });
      await copas.loop();
      expect(seen).to.deep.equal([["cb failed", "copas_core_timer"]]);
    });

    it("is cleared when the thread ends", async () => {
      const [copas] = fake(true);
      let fired = false;
      copas.addthread(function* () {
        copas.timeout(1, () => (fired = true));
      });
      await copas.loop();
      expect(fired).to.equal(false);
      expect(copas.status().timeout).to.equal(0);
    });
  });

  describe("removethread", () => {
    it("unwinds a sleeping thread through its finally blocks, nested frames included", async () => {
      const [copas] = fake(true);
      const log: string[] = [];
      function* inner(): Generator<unknown, void, unknown> {
        try {
          yield* copas.pause(100);
          log.push("inner after");
        } finally {
          log.push("inner finally");
        }
      }
      const t = copas.addthread(function* () {
        try {
          yield inner();
          log.push("outer after");
        } finally {
          log.push("outer finally");
        }
      });
      copas.addthread(function* () {
        yield* copas.pause(1);
        copas.removethread(t);
        log.push("removed");
      });
      await copas.loop();
      expect(log).to.deep.equal(["removed", "inner finally", "outer finally"]);
      expect(t.status()).to.equal("dead");
      expect(copas.status().timer).to.equal(0);
    });

    it("lets a finally block wait (yield* copas.pause) before the thread ends", async () => {
      const [copas, clock] = fake(true);
      const log: string[] = [];
      const t = copas.addthread(function* () {
        try {
          yield* copas.pause(100);
        } finally {
          log.push("cleanup start " + clock.now());
          yield* copas.pause(0.25);
          log.push("cleanup end " + clock.now());
        }
        log.push("never");
      });
      copas.addthread(function* () {
        yield* copas.pause(1);
        copas.removethread(t);
      });
      await copas.loop();
      expect(log).to.deep.equal(["cleanup start 1", "cleanup end 1.25"]);
      expect(clock.now()).to.equal(1.25);
    });

    it("takes a thread off the socket it waits on; the socket serves the next reader", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      const log: unknown[] = [];
      const t = copas.addthread(function* () {
        try {
          log.push(yield* copas.receive(b));
        } finally {
          log.push("finally");
          yield* copas.pause(0);
          log.push("finally done");
        }
      });
      await copas.step(0);
      expect(copas.status().read).to.equal(1);
      copas.removethread(t);
      expect(copas.status().read).to.equal(0);
      copas.addthread(function* () {
        log.push(yield* copas.receive(b));
      });
      a.send("for the second\n");
      await copas.loop();
      expect(log).to.have.deep.members(["finally", "finally done", ["for the second", null, null]]);
      a.close();
      b.close();
    });

    it("takes a thread off a socket it waits to send on", async () => {
      const [copas, clock] = fake();
      const [a, b] = await pair(copas);
      let fin = false;
      const t = copas.addthread(function* () {
        try {
          yield* copas.send(a, "x".repeat(64 * 1024 * 1024));
        } finally {
          fin = true;
        }
      });
      const loop = copas.loop();
      while (copas.status().write === 0) await idled(clock); // 64 MiB: more than the kernel holds
      copas.removethread(t);
      await loop;
      expect(fin).to.equal(true);
      expect(copas.status().write).to.equal(0);
      a.close();
      b.close();
    });

    it("takes a thread off a promise it waits on; the settlement is ignored", async () => {
      const [copas] = fake();
      let resolve!: (v: string) => void;
      const p = new Promise<string>((r) => (resolve = r));
      const log: string[] = [];
      const t = copas.addthread(function* () {
        try {
          log.push(yield* copas.await(p));
        } finally {
          log.push("finally");
        }
      });
      await copas.step(0);
      expect(copas.finished()).to.equal(false);
      copas.removethread(t);
      await copas.loop();
      resolve("late");
      await p;
      await copas.loop();
      expect(log).to.deep.equal(["finally"]);
    });

    it("removes the running thread at its next wait", async () => {
      const [copas] = fake(true);
      const log: string[] = [];
      copas.addthread(function* () {
        try {
          copas.removethread(copas.running_thread()!);
          log.push("still running");
          yield* copas.pause(1);
          log.push("never");
        } finally {
          log.push("finally");
          yield* copas.pause(1);
          log.push("finally waited");
        }
      });
      await copas.loop();
      expect(log).to.deep.equal(["still running", "finally", "finally waited"]);
    });

    it("keeps no removed, finished or paused-forever thread alive (Copas's GC test)", async () => {
      const [copas] = fake(true);
      const refs: WeakRef<Thread>[] = [];
      (() => {
        const endless = copas.addthread(function* () {
          for (;;) yield* copas.pause(0.5);
        });
        const stopper = copas.addthread(function* () {
          for (let i = 0; i < 5; i++) yield* copas.pause(0.6);
          copas.removethread(endless);
        });
        const dormant = copas.addthread(function* () {
          yield* copas.pauseforever();
        });
        refs.push(new WeakRef(endless), new WeakRef(stopper), new WeakRef(dormant));
      })();
      await copas.loop();
      expect(copas.gettime()).to.equal(3);
      await collect();
      expect(refs.map((r) => r.deref() === undefined)).to.deep.equal([true, true, true]);
      expect(copas.status().inactive).to.equal(0);
    });

    it("a thread removed before it started never runs; removing twice or a dead thread is harmless", async () => {
      const [copas] = fake();
      let ran = false;
      const t = copas.addthread(function* () {
        ran = true;
      });
      copas.removethread(t);
      copas.removethread(t);
      await copas.loop();
      expect(ran).to.equal(false);
      copas.removethread(t);
      expect(() => copas.removethread({} as Thread)).to.throw(TypeError, "'thread'");
    });

    it("closes the handler's client socket when its thread is removed (autoclose)", async () => {
      const [copas] = fake();
      const [server, port] = await listen(copas);
      let handler: Thread | null = null;
      copas.addserver(server, function* (skt: TcpSocket) {
        handler = copas.running_thread();
        yield* copas.receive(skt);
      });
      const got: unknown[] = [];
      copas.addthread(function* () {
        const c = copas.wrap(copas.socket.tcp());
        yield* c.connect("127.0.0.1", port);
        while (handler === null) yield* copas.pause(0);
        copas.removethread(handler);
        got.push(yield* c.receive());
        c.close();
        copas.removeserver(server);
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "closed", ""]]);
    });
  });

  describe("errors", () => {
    it("an error in one handler leaves the others running; the handler gets (err, thread, skt)", async () => {
      const [copas] = fake();
      const [server, port] = await listen(copas);
      const seen: [string, string, string][] = [];
      copas.seterrorhandler((err, t, skt) => {
        seen.push([(err as Error).message, copas.getthreadname(t), copas.getsocketname(skt as TcpSocket)]);
      }, true);
      copas.addserver(
        server,
        function* (skt: TcpSocket) {
          for (;;) {
            const [line] = yield* copas.receive(skt);
            if (line === null) return;
            if (line === "boom") throw new Error("handler failed");
            yield* copas.send(skt, line + "!\n");
          }
        },
        null,
        "srv",
      );
      const got: unknown[] = [];
      function* client(msgs: string[]): Generator<unknown, void, unknown> {
        const c = copas.wrap(copas.socket.tcp());
        yield* c.connect("127.0.0.1", port);
        for (const m of msgs) {
          yield* c.send(m + "\n");
          got.push(yield* c.receive());
        }
        c.close();
      }
      copas.addthread(function* () {
        yield client(["a", "boom"]);
        yield client(["b", "c"]);
        copas.removeserver(server);
      });
      await copas.loop();
      expect(got).to.deep.equal([
        ["a!", null, null],
        [null, "closed", ""], // the failed handler's client was closed (autoclose)
        ["b!", null, null],
        ["c!", null, null],
      ]);
      expect(seen).to.deep.equal([["handler failed", "srv:handler_1", "srv:client_1"]]);
    });

    it("the default handler prints gettraceback's text to stderr and the loop goes on", async () => {
      const [copas] = fake();
      const write = stubStderr();
      const log: string[] = [];
      copas.addnamedthread("bad one", function* () {
        yield* copas.pause(0);
        throw new Error("kaboom");
      });
      copas.addthread(function* () {
        yield* copas.pause(0);
        yield* copas.pause(0);
        log.push("other thread done");
      });
      await copas.loop();
      sinon.restore();
      expect(log).to.deep.equal(["other thread done"]);
      expect(write.callCount).to.equal(1);
      const text = String(write.firstCall.args[0]);
      expect(text).to.match(/^kaboom \(coroutine: bad one, socket: nil\)\nstack traceback:\n/);
      expect(text).to.contain("dispatcher.spec.ts");
    });

    it("an error handler that throws is reported, and the loop goes on", async () => {
      const [copas] = fake();
      const write = stubStderr();
      const log: string[] = [];
      copas.seterrorhandler(() => {
        throw new Error("handler broke");
      }, true);
      copas.addthread(function* () {
        throw new Error("first");
      });
      copas.addthread(function* () {
        yield* copas.pause(0);
        log.push("second ran");
      });
      await copas.loop();
      sinon.restore();
      expect(log).to.deep.equal(["second ran"]);
      expect(write.callCount).to.equal(1);
      expect(String(write.firstCall.args[0])).to.match(/^Failed executing error handler: handler broke/);
    });

    it("a thread's own error handler takes precedence; geterrorhandler tells which applies", async () => {
      const [copas] = fake();
      const seen: string[] = [];
      const dflt = (err: unknown) => seen.push("default " + (err as Error).message);
      const own = (err: unknown) => seen.push("own " + (err as Error).message);
      copas.seterrorhandler(dflt, true);
      expect(copas.geterrorhandler()).to.equal(dflt);
      let t: Thread | null = null;
      copas.addthread(function* () {
        t = copas.running_thread();
        copas.seterrorhandler(own);
        expect(copas.geterrorhandler()).to.equal(own);
        yield* copas.pause(0);
        throw new Error("x");
      });
      copas.addthread(function* () {
        throw new Error("y");
      });
      await copas.loop();
      expect(seen).to.deep.equal(["default y", "own x"]);
      expect(copas.geterrorhandler(t)).to.equal(dflt); // cleared when the thread ended
      expect(() => copas.seterrorhandler(null, true)).to.throw(TypeError);
      expect(() => copas.seterrorhandler(5 as never)).to.throw(TypeError, "'fn'");
    });

    it("the deprecated setErrorHandler is an alias", async () => {
      const [copas] = fake();
      const seen: unknown[] = [];
      copas.setErrorHandler((e) => seen.push(e), true);
      copas.addthread(() => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- Lua code raises any value: here a string
        throw "str";
      });
      await copas.loop();
      expect(seen).to.deep.equal(["str"]);
    });

    it("gettraceback: '<msg> (coroutine: <name>, socket: <name or nil>)' and the stack", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      copas.setsocketname("my socket", a);
      expect(copas.gettraceback("oops").split("\n")[0]).to.equal("oops (coroutine: nil, socket: nil)");
      expect(copas.gettraceback().split("\n")[0]).to.equal("(coroutine: nil, socket: nil)");
      const lines: string[] = [];
      copas.addnamedthread("worker", function* () {
        lines.push(copas.gettraceback("m", copas.running_thread(), a));
        lines.push(copas.gettraceback(new Error("e"), null, b));
      });
      await copas.loop();
      expect(lines[0]!.split("\n")[0]).to.equal("m (coroutine: worker, socket: my socket)");
      expect(lines[0]!.split("\n")[1]).to.equal("stack traceback:");
      expect(lines[1]!.split("\n")[0]).to.equal("e (coroutine: nil, socket: tcp{client})");
      a.close();
      b.close();
    });
  });

  describe("names", () => {
    it("names servers' clients and handlers '<server>:client_N' and '<server>:handler_N'", async () => {
      const [copas] = fake();
      const [server, port] = await listen(copas);
      const names: string[] = [];
      copas.addserver(
        server,
        function* (skt: TcpSocket) {
          names.push(copas.getsocketname(skt) + " " + copas.getthreadname());
          yield* copas.receive(skt);
        },
        null,
        "web",
      );
      expect(copas.getsocketname(server)).to.equal("web");
      copas.addthread(function* () {
        const cs = [copas.wrap(copas.socket.tcp()), copas.wrap(copas.socket.tcp())];
        for (const c of cs) yield* c.connect("127.0.0.1", port);
        while (names.length < 2) yield* copas.pause(0);
        for (const c of cs) c.close();
        copas.removeserver(server);
      });
      await copas.loop();
      expect(names).to.deep.equal(["web:client_1 web:handler_1", "web:client_2 web:handler_2"]);
    });

    it("names a server without a name by its string form", async () => {
      const [copas] = fake();
      const [server] = await listen(copas);
      copas.addserver(server, function* () {});
      expect(copas.getsocketname(server)).to.equal("tcp{server}");
      copas.removeserver(server);
    });

    it("addnamedthread, setthreadname, getthreadname (also with Copas's old argument order)", async () => {
      const [copas] = fake();
      const names: string[] = [];
      const t1 = copas.addnamedthread("one", function* () {
        names.push(copas.getthreadname());
        copas.setthreadname("renamed");
        names.push(copas.getthreadname());
      });
      const t2 = copas.addnamedthread(function* () {} as never, "two" as never);
      const t3 = copas.addthread(function* () {});
      expect(copas.getthreadname(t2)).to.equal("two");
      expect(copas.getthreadname(t3)).to.match(/^thread: 0x[0-9a-f]{8}$/);
      copas.setthreadname("three", t3);
      expect(t3.name).to.equal("three");
      await copas.loop();
      expect(names).to.deep.equal(["one", "renamed"]);
      expect(copas.getthreadname(t1)).to.equal("renamed");
      expect(String(t1)).to.equal("renamed");
      expect(() => copas.getthreadname()).to.throw(TypeError, "'thread'");
      expect(() => copas.setthreadname(3 as never, t1)).to.throw(TypeError, "'name'");
    });

    it("setsocketname names a socket and its wrapper alike", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      const w = copas.wrap(a);
      copas.setsocketname("alpha", w);
      expect(copas.getsocketname(a)).to.equal("alpha");
      expect(copas.getsocketname(w)).to.equal("alpha");
      a.close();
      b.close();
    });
  });

  describe("status, finished, cancelall", () => {
    it("status() counts what the dispatcher holds", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      const [server] = await listen(copas);
      copas.addserver(server, function* () {});
      copas.addthread(function* () {
        yield* copas.receive(b);
      });
      copas.addthread(function* () {
        yield* copas.pause(10);
      });
      copas.addthread(function* () {
        yield* copas.pauseforever();
      });
      copas.addthread(function* () {
        copas.timeout(5, () => {});
        yield* copas.pauseforever();
      });
      expect(copas.status()).to.deep.equal({ running: false, read: 1, write: 0, active: 4, timer: 0, inactive: 0, timeout: 0 });
      await copas.step(0);
      expect(copas.status()).to.deep.equal({ running: false, read: 2, write: 0, active: 0, timer: 1, inactive: 2, timeout: 1 });
      copas.cancelall();
      a.close();
      b.close();
    });

    it("status(true) adds step timings after steps ran", async () => {
      const [copas, clock] = fake();
      expect(Object.keys(copas.status(true)).sort()).to.deep.equal(["active", "inactive", "read", "running", "timeout", "timer", "write"]);
      copas.addthread(function* () {
        yield* copas.pause(0);
      });
      await copas.step(0);
      clock.advance(0.5);
      await copas.step(0);
      await copas.step(0);
      const st = copas.status();
      for (const k of ["duration_max", "duration_min", "duration_tot", "duration_avg", "steps", "time_start", "time_end", "time_tot", "time_avg"]) {
        expect(st, k).to.have.property(k).that.is.a("number");
      }
      expect(st.steps).to.equal(2);
      expect(st.duration_max).to.equal(500); // ms
      expect(copas.status(false)).to.not.have.property("steps");
    });

    it("finished() is true with nothing to do, false with work", async () => {
      const [copas] = fake();
      expect(copas.finished()).to.equal(true);
      const t = copas.addthread(function* () {
        yield* copas.pause(1);
      });
      expect(copas.finished()).to.equal(false);
      await copas.step(0);
      expect(copas.finished()).to.equal(false);
      copas.removethread(t);
      await copas.step(0);
      expect(copas.finished()).to.equal(true);
    });

    it("cancelall drops every thread, closes the sockets waited on, removes servers, and exits", async () => {
      const [copas] = fake();
      const [a, b] = await pair(copas);
      const [server] = await listen(copas);
      copas.addserver(server, function* () {});
      const log: string[] = [];
      copas.addthread(function* () {
        yield* copas.receive(b);
        log.push("reader resumed");
      });
      copas.addthread(function* () {
        yield* copas.pause(10);
        log.push("sleeper resumed");
      });
      copas.addthread(function* () {
        yield* copas.pause(0);
        copas.cancelall();
        log.push("cancelled");
      });
      await copas.loop();
      expect(log).to.deep.equal(["cancelled"]);
      expect(copas.finished()).to.equal(true);
      expect(copas.exiting()).to.equal(true);
      expect(b.toString()).to.equal("tcp{closed}");
      expect(server.toString()).to.equal("tcp{closed}");
      a.close();
    });

    it("cancelall drops a thread waiting on a promise; its settlement is ignored", async () => {
      const [copas] = fake();
      let resolve!: () => void;
      const p = new Promise<void>((r) => (resolve = r));
      let after = false;
      copas.addthread(function* () {
        yield p;
        after = true;
      });
      await copas.step(0);
      expect(copas.finished()).to.equal(false);
      copas.cancelall();
      expect(copas.finished()).to.equal(true);
      resolve();
      await p;
      await copas.loop();
      expect(after).to.equal(false);
    });
  });

  describe("autoclose", () => {
    async function serveOnce(copas: Copas): Promise<[unknown[], TcpSocket | null]> {
      const [server, port] = await listen(copas);
      let client: TcpSocket | null = null;
      copas.addserver(server, function* (skt: TcpSocket) {
        client = skt;
        yield* copas.send(skt, "bye\n");
      });
      const got: unknown[] = [];
      copas.addthread(function* () {
        const c = copas.wrap(copas.socket.tcp());
        yield* c.connect("127.0.0.1", port);
        got.push(yield* c.receive());
        c.settimeout(0.5);
        got.push(yield* c.receive());
        c.close();
        copas.removeserver(server);
      });
      await copas.loop();
      return [got, client];
    }

    it("closes the client socket when the handler ends", async () => {
      const [copas] = fake();
      expect(copas.autoclose).to.equal(true);
      const [got, client] = await serveOnce(copas);
      expect(got).to.deep.equal([["bye", null, null], [null, "closed", ""]]);
      expect(String(client)).to.equal("tcp{closed}");
    });

    it("keeps it open with autoclose = false", async () => {
      const [copas] = fake(true);
      copas.autoclose = false;
      const [got, client] = await serveOnce(copas);
      expect(got).to.deep.equal([["bye", null, null], [null, "timeout", ""]]);
      expect(String(client)).to.equal("tcp{client}");
      client!.close();
    });
  });
});
