// UDP objects against LuaSocket (issue 9 items 10 and 13): results padded as the contract says,
// no datagram lost by a close() right after sendto, one byte per character on latin1 sockets.
// Real datagram sockets on 127.0.0.1 port 0; every wait is on an event.

import { expect } from "chai";
import { inspect } from "node:util";
import { Copas, type UdpSocket } from "copas";
import { ManualClock } from "copas/sim";

describe("socket/udp: LuaSocket's results (issue 9)", () => {
  let copas: Copas;
  const open: UdpSocket[] = [];

  beforeEach(() => {
    copas = new Copas({ clock: new ManualClock(0) });
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  /** A UDP object bound on 127.0.0.1 (closed after the test) and its port. */
  async function bound(): Promise<[UdpSocket, number]> {
    const s = copas.socket.udp();
    open.push(s);
    expect(await s.setsockname("127.0.0.1", 0)).to.deep.equal([1, null]);
    return [s, s.getsockname()[1] as number];
  }

  /** The next datagram on `s` (waiting for it with socket.select). */
  async function next(s: UdpSocket): Promise<[unknown, unknown, unknown]> {
    await copas.socket.select([s], null);
    return s.receivefrom();
  }

  describe("10. send and sendto", () => {
    it("return [n, null], raw, through copas and through a wrapped socket", async () => {
      const [server, port] = await bound();
      const [c] = await bound();
      expect(c.sendto("abc", "127.0.0.1", port)).to.deep.equal([3, null]);
      expect(copas.sendto(c, "de", "127.0.0.1", port)).to.deep.equal([2, null]);
      expect(copas.wrap(c).sendto("f", "127.0.0.1", port)).to.deep.equal([1, null]);
      const conn = copas.socket.udp();
      open.push(conn);
      expect(await conn.setpeername("127.0.0.1", port)).to.deep.equal([1, null]);
      expect(conn.send("ghij")).to.deep.equal([4, null]);
      let viaOps: unknown = null;
      copas.addthread(function* () {
        viaOps = [yield* copas.send(conn, "kl"), yield* copas.wrap(conn).send("m")];
      });
      await copas.loop();
      expect(viaOps).to.deep.equal([
        [2, null],
        [1, null],
      ]);
      const got: unknown[] = [];
      for (let k = 0; k < 6; k++) got.push((await next(server))[0]);
      expect(got).to.have.members(["abc", "de", "f", "ghij", "kl", "m"]);
    });

    it("a datagram sendto accepted right before close() is sent (from a bound socket)", async () => {
      const [server, port] = await bound();
      const [c] = await bound();
      expect(c.sendto("last words", "127.0.0.1", port)).to.deep.equal([10, null]);
      expect(c.close()).to.equal(1);
      expect(c.sendto("too late", "127.0.0.1", port)).to.deep.equal([null, "closed"]);
      const [data, ip] = await next(server);
      expect([data, ip]).to.deep.equal(["last words", "127.0.0.1"]);
    });

    it("... and from an unbound one, and by a connected send", async () => {
      const [server, port] = await bound();
      const u = copas.socket.udp();
      open.push(u);
      expect(u.sendto("one", "127.0.0.1", port)).to.deep.equal([3, null]);
      u.close();
      expect((await next(server))[0]).to.equal("one");
      const conn = copas.socket.udp();
      open.push(conn);
      await conn.setpeername("127.0.0.1", port);
      expect(conn.send("two")).to.deep.equal([3, null]);
      conn.close();
      expect((await next(server))[0]).to.equal("two");
    });

    it("a destination no host can be (a control character, a space) fails at once", async () => {
      const [c] = await bound();
      expect(c.sendto("x", "host\r\nname", 9)).to.deep.equal([null, "host not found"]);
      expect(c.sendto("x", "a b", 9)).to.deep.equal([null, "host not found"]);
      const d = copas.socket.udp();
      open.push(d);
      expect(await d.setpeername("bad\nhost", 9)).to.deep.equal([null, "host not found"]);
      expect(await d.setsockname("bad\x00host", 0)).to.deep.equal([null, "host not found"]);
      expect(c.getstats()[1]).to.equal(0);
    });
  });

  describe("13. strings on a latin1 UDP object", () => {
    it("a character above U+00FF is a TypeError naming setencoding('utf8') and Buffer; nothing is sent", async () => {
      const [server, port] = await bound();
      const [c] = await bound();
      expect(() => c.sendto("ü ✓", "127.0.0.1", port)).to.throw(TypeError, /'data'.*U\+2713.*setencoding\("utf8"\).*Buffer/);
      expect(c.getstats()[1]).to.equal(0);
      expect(c.sendto("ü", "127.0.0.1", port)).to.deep.equal([1, null]);
      expect((await next(server))[0]).to.equal("\xfc");
      c.setencoding("utf8");
      expect(c.sendto("✓", "127.0.0.1", port)).to.deep.equal([3, null]);
      expect((await next(server))[0]).to.equal("\xe2\x9c\x93");
    });
  });

  describe("bad arguments are TypeErrors naming them", () => {
    it("receive sizes and option values", async () => {
      const [c] = await bound();
      for (const size of [-1, NaN, Infinity, "10", {}] as unknown[]) {
        expect(() => c.receive(size as never), String(size)).to.throw(TypeError, "'size'");
        expect(() => c.receivefrom(size as never), String(size)).to.throw(TypeError, "'size'");
      }
      for (const [name, value] of [
        ["broadcast", 1],
        ["reuseaddr", {}],
        ["ip-multicast-loop", "yes"],
        ["ip-multicast-ttl", 256],
        ["ip-multicast-ttl", -1],
        ["ip-multicast-ttl", 1.5],
        ["recv-backlog", 0],
        ["recv-backlog", Infinity],
        ["recv-backlog", NaN],
      ] as const) {
        expect(() => c.setoption(name, value), `${name} ${inspect(value)}`).to.throw(TypeError, "'value'");
      }
      expect(c.getoption("recv-backlog")).to.deep.equal([256, null]);
    });
  });
});
