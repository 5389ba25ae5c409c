import { expect } from "chai";
import { Copas, type TcpSocket } from "copas";
import * as check from "../../lib/common/check.js";
import { ManualClock } from "copas/sim";
import { pair } from "../helpers/net.js";

type AnyFn = (...a: unknown[]) => unknown;

describe("check (bad input)", () => {
  describe("the helpers", () => {
    it("describe names a value for a message", () => {
      expect(check.describe(null)).to.equal("null");
      expect(check.describe(undefined)).to.equal("undefined");
      expect(check.describe("x")).to.equal('a string ("x")');
      expect(check.describe("y".repeat(50))).to.equal(`a string ("${"y".repeat(40)}...")`);
      expect(check.describe(3)).to.equal("a number (3)");
      expect(check.describe(true)).to.equal("a boolean (true)");
      expect(check.describe(2n)).to.equal("a bigint (2)");
      expect(check.describe(() => 0)).to.equal("a function");
      expect(check.describe(Symbol("s"))).to.equal("a symbol");
      expect(check.describe({})).to.equal("an object (Object)");
      expect(check.describe([])).to.equal("an object (Array)");
      expect(check.describe(Object.create(null))).to.equal("an object");
    });

    it("each check passes good values and throws a TypeError naming function, argument, expectation and value", () => {
      expect(check.optNumber("f", "a", undefined)).to.equal(undefined);
      expect(check.optNumber("f", "a", null)).to.equal(undefined);
      expect(check.optNumber("f", "a", 1.5)).to.equal(1.5);
      expect(check.number("f", "a", -2)).to.equal(-2);
      expect(check.string("f", "a", "")).to.equal("");
      expect(check.port("f", "a", "80")).to.equal(80);
      expect(check.port("f", "a", 0)).to.equal(0);
      const fn = () => 0;
      expect(check.func("f", "a", fn)).to.equal(fn);
      expect(() => check.optNumber("f", "a", NaN)).to.throw(TypeError, "f: bad argument 'a' (expected a number, null or undefined, got a number (NaN))");
      expect(() => check.number("f", "a", "1")).to.throw(TypeError, `f: bad argument 'a' (expected a number, got a string ("1"))`);
      expect(() => check.string("f", "a", 1)).to.throw(TypeError, "f: bad argument 'a' (expected a string, got a number (1))");
      expect(() => check.func("f", "a", {})).to.throw(TypeError, "f: bad argument 'a' (expected a function");
      for (const p of [-1, 65536, 1.5, "x", null]) {
        expect(() => check.port("f", "a", p)).to.throw(TypeError, "f: bad argument 'a' (expected a port number from 0 to 65535");
      }
    });
  });

  describe("every public function", () => {
    let copas: Copas;
    let a: TcpSocket;
    let b: TcpSocket;

    before(async () => {
      copas = new Copas({ clock: new ManualClock() });
      [a, b] = await pair(copas);
    });

    after(() => {
      a.close();
      b.close();
    });

    /** [what, call, argument name] for calls that throw at once. */
    const direct = (): [string, () => unknown, string][] => {
      const c = copas as unknown as Record<string, AnyFn>;
      const gen = function* () {};
      return [
        ["new Copas(5)", () => new Copas(5 as never), "options"],
        ["new Copas({ network: {} })", () => new Copas({ network: {} as never }), "options.network"],
        ["addserver(5)", () => c.addserver!(5, gen), "server"],
        ["addserver(server, 5)", () => c.addserver!(b, 5), "handler"],
        ["addserver(server, fn, 'x')", () => c.addserver!(b, gen, "x"), "timeout"],
        ["addserver(server, fn, 1, 5)", () => c.addserver!(b, gen, 1, 5), "name"],
        ["removeserver({})", () => c.removeserver!({}), "server"],
        ["addthread(5)", () => c.addthread!(5), "fn"],
        ["addnamedthread(5, fn)", () => c.addnamedthread!(5, gen), "name"],
        ["addnamedthread('n', 5)", () => c.addnamedthread!("n", 5), "fn"],
        ["removethread(5)", () => c.removethread!(5), "thread"],
        ["wakeup('t')", () => c.wakeup!("t"), "thread"],
        ["pause('1')", () => c.pause!("1"), "seconds"],
        ["sleep({})", () => c.sleep!({}), "seconds"],
        ["seterrorhandler(5)", () => c.seterrorhandler!(5), "fn"],
        ["setthreadname(5)", () => c.setthreadname!(5), "name"],
        ["setthreadname('n', 5)", () => c.setthreadname!("n", 5), "thread"],
        ["getthreadname(5)", () => c.getthreadname!(5), "thread"],
        ["setsocketname(5, skt)", () => c.setsocketname!(5, a), "name"],
        ["setsocketname('n', 5)", () => c.setsocketname!("n", 5), "skt"],
        ["getsocketname('x')", () => c.getsocketname!("x"), "skt"],
        ["gettraceback('m', 5)", () => c.gettraceback!("m", 5), "thread"],
        ["receive(5)", () => c.receive!(5), "skt"],
        ["receivepartial(null)", () => c.receivepartial!(null), "skt"],
        ["send({})", () => c.send!({}, "x"), "skt"],
        ["connect('h')", () => c.connect!("h", "127.0.0.1", 1), "skt"],
        ["close(5)", () => c.close!(5), "skt"],
        ["settimeout(5)", () => c.settimeout!(5, 1), "skt"],
        ["settimeout(skt, 'x')", () => c.settimeout!(a, "x"), "t"],
        ["settimeouts(skt, 'x')", () => c.settimeouts!(a, "x"), "connect"],
        ["settimeouts(skt, 1, 'x')", () => c.settimeouts!(a, 1, "x"), "send"],
        ["settimeouts(skt, 1, 1, 'x')", () => c.settimeouts!(a, 1, 1, "x"), "receive"],
        ["wrap(5)", () => c.wrap!(5), "skt"],
        ["wrap(skt, 5)", () => c.wrap!(a, 5), "sslparams"],
        ["handler(5)", () => c.handler!(5), "fn"],
        ["socket.connect(5, 1)", () => copas.socket.connect(5 as never, 1), "host"],
        ["socket.connect(h, -1)", () => copas.socket.connect("127.0.0.1", -1), "port"],
        ["socket.select(5)", () => copas.socket.select(5 as never, null), "recvt"],
        ["socket.sleep('x')", () => copas.socket.sleep("x" as never), "seconds"],
        ["skt.receive('*z')", () => a.receive("*z" as never), "pattern"],
        ["skt.receive('*l', 5)", () => a.receive("*l", 5 as never), "prefix"],
        ["skt.send(5)", () => a.send(5 as never), "data"],
        ["skt.send('x', 'i')", () => a.send("x", "i" as never), "i"],
        ["skt.send('x', 1, 'j')", () => a.send("x", 1, "j" as never), "j"],
        ["skt.connect(5, 1)", () => copas.socket.tcp().connect(5 as never, 1), "host"],
        ["skt.bind('h', 'p')", () => copas.socket.tcp().bind("127.0.0.1", "p"), "port"],
        ["skt.settimeout('x')", () => a.settimeout("x" as never), "value"],
        ["skt.setoption(5)", () => a.setoption(5 as never), "name"],
        ["skt.getoption(5)", () => a.getoption(5 as never), "name"],
        ["skt.shutdown('x')", () => a.shutdown("x" as never), "mode"],
        ["skt.setencoding('x')", () => a.setencoding("x" as never), "enc"],
        ["skt.setstats('x')", () => a.setstats("x" as never), "received"],
      ];
    };

    it("throws a TypeError naming the argument, and what it accepts", () => {
      for (const [what, call, arg] of direct()) {
        let err: unknown = null;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(err, what).to.be.instanceOf(TypeError);
        expect((err as Error).message, what).to.contain(`'${arg}'`);
        expect((err as Error).message, what).to.match(/expected|belongs/);
      }
    });

    it("async functions reject with a TypeError naming the argument", async () => {
      const cases: [string, () => Promise<unknown>, string][] = [
        ["loop('x')", () => copas.loop("x" as never), "timeout"],
        ["loop(fn, 'x')", () => copas.loop(function* () {}, "x" as never), "timeout"],
        ["step('x')", () => copas.step("x" as never), "timeout"],
        ["socket.bind(5, 0)", () => copas.socket.bind(5 as never, 0), "host"],
        ["socket.bind(h, 0, 'x')", () => copas.socket.bind("127.0.0.1", 0, "x" as never), "backlog"],
        ["skt.listen('x')", () => copas.socket.tcp().listen("x" as never), "backlog"],
      ];
      for (const [what, call, arg] of cases) {
        let err: unknown = null;
        try {
          await call();
        } catch (e) {
          err = e;
        }
        expect(err, what).to.be.instanceOf(TypeError);
        expect((err as Error).message, what).to.contain(`'${arg}'`);
      }
      await copas.loop(); // the rejected loop left nothing behind
    });

    it("ops check their arguments when run, throwing into the thread", async () => {
      const errs: string[] = [];
      copas.addthread(function* () {
        const calls: (() => Generator<unknown, unknown, unknown>)[] = [
          () => copas.receive(b, "*z" as never),
          () => copas.receive(b, 3, 5 as never),
          () => copas.send(b, 5 as never),
          () => copas.send(b, "x", "1" as never),
          () => copas.connect(copas.socket.tcp(), 5 as never, 1),
          () => copas.connect(copas.socket.tcp(), "127.0.0.1", 99999),
        ];
        for (const call of calls) {
          try {
            yield* call();
            errs.push("no error");
          } catch (e) {
            errs.push(e instanceof TypeError ? (e.message.match(/'[a-z]+'/)?.[0] ?? e.message) : String(e));
          }
        }
      });
      await copas.loop();
      expect(errs).to.deep.equal(["'pattern'", "'prefix'", "'data'", "'i'", "'host'", "'port'"]);
    });
  });
});
