import { expect } from "chai";
import { Copas, DEBUG_ORIGINAL, type TcpSocket } from "copas";
import { fresh, run } from "../helpers/run.js";
import { pair } from "../helpers/net.js";

describe("debug", () => {
  describe("start/stop", () => {
    it("logs resumes, yields by kind, and exits (Copas's debug_resume/debug_yield/debug_create)", async () => {
      const copas = fresh();
      const lines: string[] = [];
      copas.debug.start((l) => lines.push(l));
      let sleeper = null as unknown as ReturnType<Copas["addthread"]>;
      await run(copas, function* () {
        sleeper = copas.addnamedthread("sleeper", function* () {
          yield* copas.pauseforever();
        });
        copas.addnamedthread("napper", function* () {
          yield* copas.pause(0);
          yield* copas.pause(1.5);
          copas.wakeup(sleeper);
        });
      });
      expect(lines).to.deep.equal([
        "resuming 'copas_initializer'",
        "exiting 'copas_initializer'",
        "resuming 'sleeper'",
        "yielding 'sleeper' to SLEEP for -1 seconds",
        "resuming 'napper'",
        "yielding 'napper' to SLEEP for 0 seconds",
        "resuming 'napper'",
        "yielding 'napper' to SLEEP for 1.5 seconds",
        "resuming 'napper'",
        "exiting 'napper'",
        "resuming 'sleeper'",
        "exiting 'sleeper'",
      ]);
    });

    it("names the socket a thread waits on and is resumed for; a failed thread has no exit line", async () => {
      const copas = fresh();
      const [a, b] = await pair(copas);
      copas.setsocketname("sock_b", b);
      const lines: string[] = [];
      copas.debug.start((l) => lines.push(l));
      copas.seterrorhandler(() => {}, true);
      copas.addnamedthread("reader", function* () {
        const [line] = yield* copas.receive(b);
        expect(line).to.equal("hi");
        b.close();
        throw new Error("done badly");
      });
      copas.addnamedthread("writer", function* () {
        yield* copas.send(a, "hi\n");
        a.close();
      });
      await copas.loop();
      expect(lines).to.deep.equal([
        "resuming 'reader'",
        "yielding 'reader' to READ on 'sock_b'",
        "resuming 'writer'",
        "exiting 'writer'",
        "resuming 'reader' for socket 'sock_b'",
      ]);
    });

    it("says when a thread waits on a Promise", async () => {
      const copas = fresh();
      const lines: string[] = [];
      copas.debug.start((l) => lines.push(l));
      copas.addnamedthread("waiter", function* () {
        expect(yield* copas.await(Promise.resolve(7))).to.equal(7);
      });
      await copas.loop();
      expect(lines).to.deep.equal(["resuming 'waiter'", "yielding 'waiter' to AWAIT a promise", "resuming 'waiter'", "exiting 'waiter'"]);
    });

    it("leaves out 'copas_core_timer' unless core is set", async () => {
      for (const core of [false, true]) {
        const copas = fresh();
        const lines: string[] = [];
        copas.debug.start((l) => lines.push(l), core);
        copas.addnamedthread("copas_core_timer", function* () {
          yield* copas.pause(0);
        });
        await copas.loop();
        // As Copas: the exit line is not filtered (its debug_create logs every exit).
        expect(lines.length).to.equal(core ? 4 : 1);
        expect(lines.at(-1)).to.equal("exiting 'copas_core_timer'");
      }
    });

    it("stop ends the log; a dispatcher without start logs nothing", async () => {
      const copas = fresh();
      const lines: string[] = [];
      copas.debug.start((l) => lines.push(l));
      copas.debug.stop();
      copas.addthread(function* () {
        yield* copas.pause(0);
      });
      await copas.loop();
      expect(lines).to.deep.equal([]);
    });

    it("defaults to console.log", async () => {
      const copas = fresh();
      const orig = console.log;
      const seen: unknown[][] = [];
      console.log = (...a: unknown[]) => void seen.push(a);
      try {
        copas.debug.start();
        copas.addnamedthread("t", function* () {});
        await copas.loop();
      } finally {
        console.log = orig;
        copas.debug.stop();
      }
      expect(seen).to.deep.equal([["resuming 't'"], ["exiting 't'"]]);
    });

    it("is per dispatcher", async () => {
      const a = new Copas();
      const b = new Copas();
      expect(a.debug).to.equal(a.debug);
      const lines: string[] = [];
      a.debug.start((l) => lines.push(l));
      b.addnamedthread("on-b", function* () {});
      await b.loop();
      expect(lines).to.deep.equal([]);
      a.addnamedthread("on-a", function* () {});
      await a.loop();
      expect(lines).to.deep.equal(["resuming 'on-a'", "exiting 'on-a'"]);
      a.debug.stop();
    });
  });

  describe("socket", () => {
    it("prints each call of a wrapped socket and the op's results when it completes", async () => {
      const copas = fresh();
      const [a, b] = await pair(copas);
      const lines: string[] = [];
      const w = copas.debug.socket(copas.wrap(b), (l) => lines.push(l));
      await run(copas, function* () {
        yield* copas.send(a, "hello\n");
        const [line] = yield* w.receive("*l");
        expect(line).to.equal("hello");
        expect(w.close()).to.equal(1);
        a.close();
      });
      // Call numbers count across all debug sockets (Copas's call_id): consecutive here.
      const n = Number(/^(\d+)-/.exec(lines[0]!)![1]);
      lines.forEach((l, i) => (lines[i] = l.replace(/^\d+-/, (m) => (Number(m.slice(0, -1)) === n ? "1-" : "2-"))));
      expect(lines[0]).to.equal("1-calling 'receive' with; ");
      expect(lines[1]).to.match(/^\tsocket : '.*' \(userdata\)$/);
      expect(lines.slice(2)).to.deep.equal([
        "\tpattern: '*l' (string #2)",
        "\tprefix : 'nil' (nil)",
        "1-results 'receive' returned; ",
        "\treceived    : 'hello' (string #5)",
        "\terror       : 'nil' (nil)",
        "\tpartial data: 'nil' (nil)",
        "2-calling 'close' with; ",
        lines[9]!,
        "2-results 'close' returned; ",
        "\tsuccess: '1' (number)",
        "\terror: 'nil' (nil)",
      ]);
    });

    it("truncates long strings to 30 characters", async () => {
      const copas = fresh();
      const [a, b] = await pair(copas);
      const lines: string[] = [];
      const w = copas.debug.socket(copas.wrap(a), (l) => lines.push(l));
      await run(copas, function* () {
        yield* w.send("y".repeat(40));
        a.close();
        b.close();
      });
      expect(lines).to.include(`\tdata     : '${"y".repeat(30)}(...truncated)' (string #40)`);
      expect(lines).to.include("\tlast-idx-send    : '40' (number)");
    });

    it("wraps a LuaSocket object: direct calls are printed, and copas takes it for the original", async () => {
      const copas = fresh();
      const [a, b] = await pair(copas);
      const lines: string[] = [];
      const d = copas.debug.socket<TcpSocket>(b, (l) => lines.push(l));
      expect((d as unknown as Record<symbol, unknown>)[DEBUG_ORIGINAL]).to.equal(b);
      expect(String(d)).to.equal(String(b));
      expect(d.dirty()).to.equal(false);
      expect(lines[0]).to.match(/^\d+-calling 'dirty' with; $/);
      expect(lines.at(-1)).to.equal("\tdata in read-buffer: 'false' (boolean)");
      await run(copas, function* () {
        yield* copas.send(a, "x\n");
        expect(yield* copas.receive(d)).to.deep.equal(["x", null, null]);
        expect(copas.wrap(d).socket).to.equal(b);
        a.close();
        d.close();
      });
    });

    it("rejects what is not an object, and a logger that is not a function", () => {
      const copas = new Copas();
      expect(() => copas.debug.socket(5 as never)).to.throw(TypeError, /debug\.socket: bad argument 'skt'/);
      expect(() => copas.debug.socket({}, 5 as never)).to.throw(TypeError, /debug\.socket: bad argument 'logger'/);
      expect(() => copas.debug.start("x" as never)).to.throw(TypeError, /debug\.start: bad argument 'logger'/);
    });
  });
});
