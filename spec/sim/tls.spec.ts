// TLS on the simulated network: node:tls over the in-memory connections (lib/node/tls-engine.ts
// through Network.secure), on a ManualClock that jumps when the dispatcher idles. The clock is
// held while the TLS engine works on Node's event-loop turns, so virtual time is the same on
// every run; only the TLS bytes themselves differ (fresh randoms and ECDSA signatures of 70 to
// 72 bytes), so the traces are compared with the byte counts of delivery lines blanked out.

import { expect } from "chai";
import { fileURLToPath } from "node:url";
import { Copas, TlsHandshakeError, type CopasSocket, type TlsSocket } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";
import type { Network } from "../../lib/socket/network.js";
import { makeSocketModule } from "../../lib/socket/socket-module.js";
import { sim, type SimOptions } from "./helpers.js";

const F = fileURLToPath(new URL("../fixtures/", import.meta.url));
const serverA = { mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem" };
const clientParams = { mode: "client", cafile: F + "rootA.pem" };

/** The first bytes of a TLS ClientHello record: a record header and half a handshake header. */
const HALF_HELLO = "\x16\x03\x01\x02\x00\x01\x00\x01";

function* echo(skt: CopasSocket) {
  for (;;) {
    const [line] = yield* skt.receive();
    if (line === null) return;
    yield* skt.send(line + "\n");
  }
}

/** A TLS echo server on 127.0.0.1:443 and two wrapped clients; resolves with what they saw. */
async function echoRun(o: SimOptions): Promise<{ got: unknown[]; trace: string[]; end: number }> {
  const { copas, net, clock } = sim({ trace: true, ...o });
  const [server] = await net.socket.bind("127.0.0.1", 443);
  const served: unknown[] = [];
  copas.addserver(
    server!,
    copas.handler(function* (skt) {
      served.push(skt.toString(), skt.getsniname()[0], skt.getalpn()[0]);
      yield* echo(skt);
    }, { ...serverA, alpn: ["echo/1"] }),
  );
  const got: unknown[] = [served];
  for (const k of [0, 1]) {
    copas.addthread(function* () {
      const c = copas.wrap(net.socket.tcp(), { ...clientParams, alpn: "echo/1" });
      const [w, err] = yield* c.connect("localhost", 443);
      const t = c.socket as TlsSocket;
      got.push([k, w === c, err, String(t), c.getalpn()[0], t.getpeercertificate()?.subject.CN, t.getpeerverification()[0], t.getpeername()]);
      yield* c.send(`hello ${k}\n${"x".repeat(3000)}\n`);
      got.push([k, yield* c.receive(), (yield* c.receive())[0]?.length]);
      c.close();
      if (k === 1) copas.removeserver(server!);
    });
  }
  await copas.loop();
  return { got, trace: copas.gettrace(), end: clock.now() };
}

/** The trace with the byte counts of deliveries blanked: TLS records vary by a byte or two. */
function stable(trace: string[]): string[] {
  return trace.map((l) => l.replace(/^(\S+ deliver \S+) \d+ bytes$/, "$1 N bytes"));
}

describe("sim: TLS over the simulated network", () => {
  it("serves a TLS echo handler: handshake (ALPN, SNI, certificate), echo, close, on autoAdvance", async () => {
    const { got, trace } = await echoRun({ latency: [0.001, 0.02], seed: 3 });
    expect(got).to.deep.equal([
      ["tls{client} (copas wrapped)", "localhost", "echo/1", "tls{client} (copas wrapped)", "localhost", "echo/1"],
      // Latencies are drawn per delivery from the seed: client 1 happens to finish first.
      [1, true, null, "tls{client}", "echo/1", "localhost", true, ["127.0.0.1", 443, "inet"]],
      [0, true, null, "tls{client}", "echo/1", "localhost", true, ["127.0.0.1", 443, "inet"]],
      [0, ["hello 0", null, null], 3000],
      [1, ["hello 1", null, null], 3000],
    ]);
    // The handshake is on the wire: ClientHello, the server's flight, the client's Finished.
    expect(trace.filter((l) => / deliver /.test(l)).length).to.be.greaterThan(10);
    expect(trace.filter((l) => / end tcp\{server\}:handler_\d$/.test(l))).to.have.length(2);
  });

  for (const o of [{ latency: [0.001, 0.02] as const, seed: 3 }, { latency: [0, 0.01] as const, seed: 8, chunkSize: 100 }]) {
    it(`runs the same way twice, apart from the TLS byte counts (${JSON.stringify(o)})`, async () => {
      const a = await echoRun(o);
      const b = await echoRun(o);
      expect(b.got).to.deep.equal(a.got);
      expect(b.end).to.equal(a.end);
      expect(stable(b.trace)).to.deep.equal(stable(a.trace));
    });
  }

  it("holds virtual time while the TLS engine works: with no latency everything happens at 0", async () => {
    // Without the hold, the idle dispatcher would jump to the sleeper's 30 s (or the handshake
    // limit) between two event-loop turns of node:tls, and the handshake would time out.
    const { copas, net, clock } = sim({ latency: 0 });
    const [server] = await net.socket.bind("127.0.0.1", 443);
    copas.addserver(server!, copas.handler(echo, serverA));
    const got: unknown[] = [];
    copas.addthread(function* () {
      yield* copas.pause(30);
      got.push(["sleeper", clock.now()]);
    });
    copas.addthread(function* () {
      const c = copas.wrap(net.socket.tcp(), clientParams);
      copas.settimeouts(c, 1, 1, 1);
      got.push(["connect", (yield* c.connect("localhost", 443))[1], clock.now()]);
      yield* c.send("ping\n");
      got.push(["echo", (yield* c.receive())[0], clock.now()]);
      c.close();
      copas.removeserver(server!);
    });
    await copas.loop();
    expect(got).to.deep.equal([
      ["connect", null, 0],
      ["echo", "ping", 0],
      ["sleeper", 30],
    ]);
  });

  it("a send after the TLS server closed fails with 'closed', as on plain TCP", async () => {
    const { copas, net } = sim({ latency: [0.001, 0.005], seed: 1 });
    const [server] = await net.socket.bind("127.0.0.1", 443);
    copas.addserver(
      server!,
      copas.handler(function* (skt) {
        yield* skt.receive(1000); // then the handler ends: its client is closed with data unread
      }, serverA),
    );
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = copas.wrap(net.socket.tcp(), clientParams);
      yield* c.connect("localhost", 443);
      let sent = 0;
      for (let k = 0; k < 256; k++) {
        const [n, err] = yield* c.send("x".repeat(65536));
        if (n === null) {
          got.push(err);
          break;
        }
        sent += 65536;
      }
      got.push(sent < 16 * 1048576);
      c.close();
      copas.removeserver(server!);
    });
    await copas.loop();
    expect(got).to.deep.equal(["closed", true]);
  });

  describe("handshake time limit (issue 10 item 6)", () => {
    /** A server behind copas.handler(sslparams) and one raw client that sends `hello` and waits. */
    async function stalled(hello: string, limit?: number): Promise<unknown[]> {
      const { copas, net, clock } = sim({ latency: 0.01 });
      if (limit !== undefined) copas.handshakeTimeout = limit;
      const errs: unknown[] = [];
      copas.seterrorhandler((e) => void errs.push(e), true);
      const [server] = await net.socket.bind("127.0.0.1", 443);
      let ran = false;
      copas.addserver(
        server!,
        copas.handler(() => {
          ran = true;
        }, serverA),
      );
      const got: unknown[] = [];
      copas.addthread(function* () {
        const c = net.socket.tcp();
        yield* copas.connect(c, "127.0.0.1", 443);
        if (hello !== "") yield* copas.send(c, hello);
        got.push(yield* copas.receive(c, "*a"), Math.round(clock.now() * 1e6) / 1e6);
        c.close();
        copas.removeserver(server!);
      });
      await copas.loop();
      return [...got, ran, errs];
    }

    it(`drops a client that sends nothing after ${60} s (HANDSHAKE_TIMEOUT), the handler never runs`, async () => {
      // Connected at 0.02 (SYN and SYN-ACK); the server gives up at 0.01 + 60, its FIN lands 0.01 later.
      expect(await stalled("")).to.deep.equal([[null, "closed", ""], 60.02, false, []]);
    });

    it("drops a client that sends half a ClientHello, at the limit set by copas.handshakeTimeout", async () => {
      expect(await stalled(HALF_HELLO, 5)).to.deep.equal([[null, "closed", ""], 5.02, false, []]);
    });

    it("bounds a client's dohandshake too: [null, 'timeout'] against a server that never answers", async () => {
      /** Handshakes against a server that reads the ClientHello and answers nothing. */
      async function run(copas: Copas, net: SimNetwork, connectTimeouts: (number | null)[]): Promise<unknown[]> {
        const [server] = await net.socket.bind("127.0.0.1", 443);
        copas.addserver(server!, (skt) => copas.receive(skt, "*a"));
        const got: unknown[] = [];
        copas.addthread(function* () {
          for (const to of connectTimeouts) {
            const skt = net.socket.tcp();
            yield* copas.connect(skt, "127.0.0.1", 443);
            if (to !== null) copas.settimeouts(skt, to, null, null);
            const t0 = net.clock.now();
            got.push([yield* copas.dohandshake(skt, clientParams), String(skt), net.clock.now() - t0]);
          }
          copas.removeserver(server!);
        });
        await copas.loop();
        return got;
      }
      const a = sim({ latency: 0.01 });
      // The socket's own connect timeout bounds it, as in Copas; else the dispatcher's limit.
      expect(await run(a.copas, a.net, [3, null])).to.deep.equal([
        [[null, "timeout"], "tcp{closed}", 3],
        [[null, "timeout"], "tcp{closed}", 60],
      ]);
      const clock = new ManualClock();
      clock.autoAdvance = true;
      const net = new SimNetwork({ clock, latency: 0.01 });
      expect(await run(new Copas({ network: net, handshakeTimeout: 7 }), net, [null])).to.deep.equal([[[null, "timeout"], "tcp{closed}", 7]]);
    });

    it("handshakeTimeout takes seconds > 0 or Infinity, else a TypeError naming it", () => {
      const { copas, net } = sim();
      expect(copas.handshakeTimeout).to.equal(60);
      copas.handshakeTimeout = Infinity;
      expect(copas.handshakeTimeout).to.equal(Infinity);
      for (const bad of [0, -1, NaN, "5", null]) {
        expect(() => (copas.handshakeTimeout = bad as never)).to.throw(TypeError, /handshakeTimeout: bad argument 'seconds'/);
      }
      expect(() => new Copas({ network: net, handshakeTimeout: 0 })).to.throw(TypeError, /Copas: bad argument 'options.handshakeTimeout'/);
    });
  });

  describe("a network without secure", () => {
    /** The simulated network's connections, through a Network of `kind` that has no TLS. */
    function bare(net: SimNetwork, kind: string): Copas {
      const base = net.socket._network;
      const n: Network = { kind, clock: base.clock, connect: (o) => base.connect(o), listen: (o) => base.listen(o) };
      return new Copas({ network: { socket: makeSocketModule(n) } });
    }

    for (const [kind, name] of [["sim", "the simulated network"], ["lab", "the network 'lab'"]] as const) {
      it(`dohandshake says ${name} cannot secure connections (no TypeError from inside)`, async () => {
        const { net } = sim();
        const copas = bare(net, kind);
        const [server] = await copas.socket.bind("127.0.0.1", 443);
        copas.addserver(server!, (skt) => copas.receive(skt, "*a"));
        const got: unknown[] = [];
        copas.addthread(function* () {
          const skt = copas.socket.tcp();
          yield* copas.connect(skt, "127.0.0.1", 443);
          try {
            yield* copas.dohandshake(skt, clientParams);
          } catch (e) {
            got.push(e instanceof TypeError, e instanceof TlsHandshakeError, (e as Error).message);
          }
          got.push(String(skt)); // untouched: still a plain connection
          skt.close();
          copas.removeserver(server!);
        });
        await copas.loop();
        expect(got).to.deep.equal([false, false, `dohandshake: ${name} cannot secure connections (its Network has no 'secure')`, "tcp{client}"]);
      });
    }
  });
});
