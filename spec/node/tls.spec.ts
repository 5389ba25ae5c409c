import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { Copas, type Clock, type CopasSocket, type TcpSocket, type Thread, type TlsSocket } from "copas";

const F = fileURLToPath(new URL("../fixtures/", import.meta.url));

const serverA = { mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem", cafile: F + "rootA.pem" };
const otherA = { mode: "server", key: F + "otherAkey.pem", certificate: F + "otherA.pem" };
const clientParams = { mode: "client", cafile: F + "rootA.pem" };

/** Binds a server on 127.0.0.1 serving `handler` behind copas.handler(handler, params). */
async function serve(copas: Copas, params: unknown, handler: (skt: CopasSocket) => unknown, timeout?: number): Promise<[TcpSocket, number]> {
  const [server, err] = await copas.socket.bind("127.0.0.1", 0);
  expect(err).to.equal(null);
  copas.addserver(server!, copas.handler(handler, params), timeout);
  return [server!, server!.getsockname()[1] as number];
}

function* echo(skt: CopasSocket) {
  for (;;) {
    const [line] = yield* skt.receive();
    if (line === null) return;
    yield* skt.send(line + "\n");
  }
}

/** Collects what the default error handler is told (the messages). */
function errors(copas: Copas): string[] {
  const got: string[] = [];
  copas.seterrorhandler((e) => void got.push(e instanceof Error ? e.message : String(e)), true);
  return got;
}

/** Runs `fn` as a thread and returns the error it throws (or null). */
function* catching(fn: () => Generator<unknown, unknown, unknown>): Generator<unknown, string | null, unknown> {
  try {
    yield* fn();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("tls", () => {
  it("handshakes a wrapped client with a copas.handler server and echoes", async () => {
    const copas = new Copas();
    const seen: unknown[] = [];
    const [server, port] = await serve(copas, { ...serverA, alpn: ["h2", "echo/1"] }, function* (skt) {
      seen.push(String(skt.socket), skt.getsniname(), skt.getalpn());
      yield* echo(skt);
    });
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = copas.wrap(copas.socket.tcp(), { ...clientParams, alpn: "echo/1", protocol: "tlsv1_2" });
      const [w, err] = yield* c.connect("localhost", port);
      got.push(w === c, err, String(c.socket), c.getalpn(), c.getsniname()[0]);
      got.push((c.socket as TlsSocket).getpeercertificate()?.subject.CN, (c.socket as TlsSocket).getpeerverification());
      yield* c.send("hello\n");
      got.push(yield* c.receive());
      yield* c.send("a\r\nbc");
      yield* c.send("d\n");
      got.push(yield* c.receive(2), yield* c.receive("*l"));
      c.close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(seen).to.deep.equal(["tls{client}", ["localhost", null], ["echo/1", null]]);
    expect(got).to.deep.equal([
      true,
      null,
      "tls{client}",
      ["echo/1", null],
      "localhost",
      "localhost",
      [true, null],
      ["hello", null, null],
      ["a\n", null, null],
      ["bcd", null, null],
    ]);
  });

  it("copas.dohandshake upgrades a raw socket, keeping its name, timeouts and settings", async () => {
    const copas = new Copas();
    const [server, port] = await serve(copas, serverA, echo);
    const got: unknown[] = [];
    copas.addthread(function* () {
      const skt = copas.socket.tcp();
      got.push(yield* copas.connect(skt, "127.0.0.1", port));
      copas.setsocketname("my-client", skt);
      copas.settimeouts(skt, 7, 8, 9);
      skt.setoption("send-buffer-size", 1000);
      const [n, err] = yield* copas.dohandshake(skt, { ...clientParams, host: "localhost" });
      got.push(err, String(skt), String(n), copas.getsocketname(n!), (n!._slot as { to: unknown }).to, n!.getoption("send-buffer-size"));
      got.push(yield* copas.dohandshake(n!, clientParams)); // already TLS: given back as is
      yield* copas.send(n!, "x".repeat(5000) + "\n");
      const [line] = yield* copas.receive(n!);
      got.push(line?.length);
      n!.close();
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got[0]).to.deep.equal([1, null]);
    expect(got.slice(1, 7)).to.deep.equal([null, "tcp{closed}", "tls{client}", "my-client", [7, 8, 9], [1000, null]]);
    expect((got[7] as unknown[])[1]).to.equal(null);
    expect(got[8]).to.equal(5000);
  });

  it("takes PEM text, Node TLS options and a bare tls.SecureContext; the handler's TLS client is autoclosed", async () => {
    const copas = new Copas();
    const pem = (f: string) => fs.readFileSync(F + f, "latin1");
    // Server: a context alone (its side comes from copas.handler). Client: Node's own keys.
    const ctx = tls.createSecureContext({ key: pem("serverAkey.pem"), cert: pem("serverA.pem") });
    let ran = 0;
    const [server, port] = await serve(copas, ctx, function* (skt) {
      ran++;
      yield* skt.send("bye\n"); // then the handler ends: its (TLS) client must be closed
    });
    const got: unknown[] = [];
    copas.addthread(function* () {
      for (const p of [{ ca: pem("rootA.pem") }, { mode: "client", cafile: pem("rootA.pem"), protocol: "tlsv1_3" }]) {
        const c = copas.wrap(copas.socket.tcp(), p);
        const [ok] = yield* c.connect("localhost", port);
        got.push(ok === c, (c.socket as TlsSocket).info().protocol, yield* c.receive(), yield* c.receive());
        c.close();
      }
      copas.removeserver(server);
    });
    await copas.loop();
    expect(ran).to.equal(2);
    const done = [["bye", null, null], [null, "closed", ""]];
    expect(got).to.deep.equal([true, "TLSv1.3", ...done, true, "TLSv1.3", ...done]);
  });

  it("strict SNI refuses an unknown name with the handshake error and serves the known ones", async () => {
    const copas = new Copas();
    const errs = errors(copas);
    // A name maps to a tls.SecureContext (LuaSec: a context) or to a wrap table.
    const names = {
      localhost: tls.createSecureContext({ key: fs.readFileSync(serverA.key), cert: fs.readFileSync(serverA.certificate) }),
      "other.test": otherA,
    };
    const served: unknown[] = [];
    const [server, port] = await serve(copas, { wrap: serverA, sni: { names, strict: true } }, function* (skt) {
      served.push(skt.getsniname()[0]);
      yield* echo(skt);
    });
    const got: unknown[] = [];
    copas.addthread(function* () {
      const bad = copas.wrap(copas.socket.tcp(), { wrap: clientParams, sni: { names: "bad.test" } });
      got.push(yield* catching(() => bad.connect("localhost", port)));
      bad.close();
      for (const name of ["other.test", "localhost"]) {
        const c = copas.wrap(copas.socket.tcp(), { wrap: clientParams, sni: { names: name } });
        const [ok] = yield* c.connect("localhost", port);
        got.push(ok === c, (c.socket as TlsSocket).getpeercertificate()?.subject.CN);
        yield* c.send(name + "\n");
        got.push((yield* c.receive())[0]);
        c.close();
      }
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got[0]).to.match(/^TLS\/SSL handshake failed: /);
    expect(got.slice(1)).to.deep.equal([true, "other.test", "other.test", true, "localhost", "localhost"]);
    expect(served).to.deep.equal(["other.test", "localhost"]);
    expect(errs).to.have.length(1);
    expect(errs[0]).to.match(/^TLS\/SSL handshake failed: .*unknown server name 'bad.test'/);
  });

  it("does mutual TLS: a client certificate from root A passes, none or root B's does not", async () => {
    const copas = new Copas();
    const errs = errors(copas);
    const served: unknown[] = [];
    const sparams = { ...serverA, verify: ["peer", "fail_if_no_peer_cert"], options: ["all", "no_sslv2"] };
    const [server, port] = await serve(copas, sparams, function* (skt) {
      served.push((skt.socket as TlsSocket).getpeercertificate()?.subject.CN);
      yield* echo(skt);
    });
    const got: unknown[] = [];
    const clients = [
      { ...clientParams, key: F + "clientAkey.pem", certificate: F + "clientA.pem" },
      clientParams,
      { ...clientParams, key: F + "clientBkey.pem", certificate: F + "clientB.pem" },
    ];
    copas.addthread(function* () {
      for (const p of clients) {
        const c = copas.wrap(copas.socket.tcp(), p);
        // With TLS 1.3 the client may finish before the server refuses it: then it reads "closed".
        const err = yield* catching(function* () {
          yield* c.connect("localhost", port);
          yield* c.send("ping\n");
          const [line, e] = yield* c.receive();
          if (line === null) throw new Error(`TLS/SSL handshake failed: then ${e}`);
          got.push(line);
        });
        if (err !== null) got.push(err.startsWith("TLS/SSL handshake failed: ") ? "refused" : err);
        c.close();
      }
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got, errs.join("; ")).to.deep.equal(["ping", "refused", "refused"]);
    expect(served).to.deep.equal(["client A"]);
    expect(errs).to.have.length(2);
    for (const e of errs) expect(e).to.match(/^TLS\/SSL handshake failed: /);
  });

  it("checks the host name by default (unlike Copas #222), and verify 'none' opts out", async () => {
    const copas = new Copas();
    errors(copas);
    const [server, port] = await serve(copas, otherA, echo);
    const got: unknown[] = [];
    copas.addthread(function* () {
      for (const p of [clientParams, { mode: "client" }, { ...clientParams, verify: "none" }]) {
        const c = copas.wrap(copas.socket.tcp(), p);
        const err = yield* catching(() => c.connect("localhost", port));
        if (err === null) {
          yield* c.send("ok\n");
          got.push((yield* c.receive())[0]);
        } else got.push(err);
        c.close();
      }
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got[0]).to.match(/^TLS\/SSL handshake failed: .*(altnames|does not match)/i);
    expect(got[1]).to.match(/^TLS\/SSL handshake failed: .*(issuer|self.signed|verify)/i); // root A is not a system root
    expect(got[2]).to.equal("ok");
  });

  it("refuses empty or bad sslparams instead of going on in plain text (Copas #210)", async () => {
    const copas = new Copas();
    const s = copas.socket.tcp();
    expect(() => copas.wrap(s, {})).to.throw(TypeError, /wrap: bad argument 'sslparams' .*empty table/);
    expect(() => copas.wrap(s, { wrap: false, sni: false })).to.throw(TypeError, /empty table/);
    expect(() => copas.handler(function* () {}, {})).to.throw(TypeError, /handler: bad argument 'sslparams'/);
    expect(() => copas.wrap(s, "tls")).to.throw(TypeError, /sslparams/);
    const got: unknown[] = [];
    copas.addthread(function* () {
      for (const p of [{}, { mode: "client", protocol: "sslv3" }, { mode: "client", verify: "maybe" }, { mode: "client", options: "no_such_option" }, null]) {
        got.push(yield* catching(() => copas.dohandshake(s, p)));
      }
      got.push(yield* catching(() => copas.dohandshake(s, { mode: "client", key: F + "nope.pem" })));
    });
    await copas.loop();
    s.close();
    expect(got[0]).to.match(/dohandshake: bad argument 'sslparams' .*not an empty table/);
    expect(got[1]).to.match(/bad argument 'protocol'/);
    expect(got[2]).to.match(/bad argument 'verify'/);
    expect(got[3]).to.match(/bad argument 'options'/);
    expect(got[4]).to.match(/without parameters\/context/);
    expect(got[5]).to.match(/^error loading private key \(ENOENT/);
  });

  it("fails the handshake of a closed socket with the handshake error", async () => {
    const copas = new Copas();
    errors(copas); // the server's side fails too
    const [server, port] = await serve(copas, serverA, echo);
    const got: unknown[] = [];
    copas.addthread(function* () {
      const skt = copas.socket.tcp();
      yield* copas.connect(skt, "127.0.0.1", port);
      skt.close();
      got.push(yield* catching(() => copas.dohandshake(skt, clientParams)));
      copas.removeserver(server);
    });
    await copas.loop();
    expect(got).to.deep.equal(["TLS/SSL handshake failed: closed"]);
  });

  describe("handshake timeouts (fake clock: advanced only when the dispatcher idles on a timer)", () => {
    /** A clock that jumps to a timer as soon as the dispatcher waits on it, so no real time passes. */
    class JumpClock implements Clock {
      t = 1_000_000;
      jumps: number[] = [];
      now(): number {
        return this.t;
      }
      setTimer(seconds: number, fn: () => void): unknown {
        const h = { fn, cancelled: false };
        setImmediate(() => {
          if (h.cancelled) return;
          if (seconds > 0) {
            this.jumps.push(seconds);
            this.t += seconds;
          }
          fn();
        });
        return h;
      }
      clearTimer(h: unknown): void {
        (h as { cancelled: boolean }).cancelled = true;
      }
    }

    it("a server handshake that times out gives no handler run (Copas #189) and drops the client", async () => {
      const clock = new JumpClock();
      const copas = new Copas({ clock });
      const errs = errors(copas);
      let ran = false;
      const [server, port] = await serve(copas, serverA, function* () {
        ran = true;
      }, 5);
      // A raw client that connects and never sends its ClientHello.
      const raw = net.connect(port, "127.0.0.1");
      raw.on("error", () => {});
      const dropped = new Promise<void>((resolve) => raw.on("close", () => resolve()));
      const loop = copas.loop();
      await dropped;
      copas.addthread(() => copas.removeserver(server));
      await loop;
      expect(ran).to.equal(false);
      expect(errs).to.deep.equal([]);
      expect(clock.jumps).to.deep.equal([5]);
    });

    it("copas.dohandshake gives [null, 'timeout'] after the connect timeout", async () => {
      const clock = new JumpClock();
      const copas = new Copas({ clock });
      // A TCP server that reads and never answers.
      const mute = net.createServer((s) => s.resume());
      await new Promise<void>((r) => mute.listen(0, "127.0.0.1", () => r()));
      const port = (mute.address() as net.AddressInfo).port;
      const got: unknown[] = [];
      copas.addthread(function* () {
        const skt = copas.socket.tcp();
        got.push(yield* copas.connect(skt, "127.0.0.1", port));
        copas.settimeouts(skt, 2, null, null);
        got.push(yield* copas.dohandshake(skt, clientParams));
        // A wrapped socket's handshake, bounded by its connect timeout too. (Connected first
        // without a timeout: a jump during the TCP connect would race with it.)
        const raw = copas.socket.tcp();
        got.push(yield* copas.connect(raw, "127.0.0.1", port));
        const w = copas.wrap(raw, clientParams);
        w.settimeouts(3, null, null);
        got.push(yield* w.dohandshake());
        got.push(String(w.socket));
      });
      await copas.loop();
      await new Promise<void>((r) => mute.close(() => r())); // resolves only once both connections were dropped
      expect(got).to.deep.equal([[1, null], [null, "timeout"], [1, null], [null, "timeout"], "tcp{closed}"]);
      expect(clock.jumps).to.deep.equal([2, 3]);
    });
  });

  /** Deterministic data: chunk `k` of `CHUNK` bytes, every byte value present. */
  const CHUNK = 64 * 1024;
  const BASE = Array.from({ length: CHUNK + 256 }, (_, i) => String.fromCharCode((i * 31 + 7) & 255)).join("");
  const chunk = (k: number) => BASE.substring(k & 255, (k & 255) + CHUNK);
  const CHUNKS = 800; // 50 MiB

  function* sendAll(skt: CopasSocket): Generator<unknown, number, unknown> {
    let sent = 0;
    for (let k = 0; k < CHUNKS; k++) {
      const [n, err] = yield* skt.send(chunk(k));
      if (n === null) throw new Error(`send failed: ${err}`);
      sent += CHUNK;
    }
    return sent;
  }

  function* receiveAll(skt: CopasSocket): Generator<unknown, [number, number], unknown> {
    let bytes = 0;
    let bad = 0;
    for (let k = 0; k < CHUNKS; k++) {
      const [data, err] = yield* skt.receive(CHUNK);
      if (data === null) throw new Error(`receive failed after ${bytes} bytes: ${err}`);
      bytes += data.length;
      if (data !== chunk(k)) bad++;
    }
    return [bytes, bad];
  }

  for (const secure of [true, false]) {
    it(`moves 50 MB each way at once over ${secure ? "TLS" : "TCP"}, every byte checked`, async function () {
      this.timeout(120_000);
      const copas = new Copas();
      const result: Record<string, unknown> = {};
      /** Runs sender and receiver on one socket; returns when both are done. */
      function* both(skt: CopasSocket, side: string) {
        let waiting: Thread | null = null;
        let sent = false;
        copas.addthread(function* () {
          result[side + " sent"] = yield* sendAll(skt);
          sent = true;
          if (waiting) copas.wakeup(waiting);
        });
        result[side + " received"] = yield* receiveAll(skt);
        if (!sent) {
          waiting = copas.running_thread();
          yield* copas.pauseforever();
        }
      }
      const [server, port] = await serve(copas, secure ? serverA : null, (skt) => both(skt, "server"));
      copas.addthread(function* () {
        const c = copas.wrap(copas.socket.tcp(), secure ? clientParams : null);
        yield* c.connect("localhost", port);
        yield* both(c, "client");
        c.close();
        copas.removeserver(server);
      });
      await copas.loop();
      const total = CHUNK * CHUNKS;
      expect(result).to.deep.equal({
        "client sent": total,
        "server sent": total,
        "client received": [total, 0],
        "server received": [total, 0],
      });
    });
  }
});
