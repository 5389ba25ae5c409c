// Bounds of the TCP object (issue 10): the longest line and largest count a receive assembles,
// the time close() lets unsent data drain (linger), and the argument checks of the options.
// Real sockets on 127.0.0.1 port 0; time is a ManualClock moved by the test.

import { expect } from "chai";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Copas, DEFAULT_CLOSE_LINGER, DEFAULT_MAX_LINE, DEFAULT_MAX_RECEIVE, type TcpSocket } from "copas";
import { ManualClock } from "copas/sim";
import { collect } from "../helpers/gc.js";
import { listen, pair, received } from "../helpers/net.js";

/** A raw Node peer (allowHalfOpen) and the copas-layer socket it is connected to. */
async function rawPeer(copas: Copas): Promise<[net.Socket, TcpSocket]> {
  const [server, port] = await listen(copas);
  const raw = net.createConnection({ host: "127.0.0.1", port, allowHalfOpen: true });
  await new Promise<void>((r) => raw.once("connect", () => r()));
  await copas.socket.select([server], null);
  const [accepted] = server.accept();
  server.close();
  return [raw, accepted!];
}

/**
 * Resolves with how the connection ended for a raw peer that now reads: "reset" or "clean".
 * libuv may report a reset that arrives behind unread data as an end of stream (a POLLHUP
 * after a short read), so an end is told apart by writing: after a reset the kernel refuses
 * at once (ECONNRESET or EPIPE), after a clean end it takes the bytes.
 */
function howItEnded(raw: net.Socket): Promise<"reset" | "clean"> {
  return new Promise((resolve) => {
    raw.once("error", (e: Error & { code?: string }) => resolve(e.code === "ECONNRESET" ? "reset" : "clean"));
    raw.once("end", () => {
      raw.write("?", (err) => resolve(err ? "reset" : "clean"));
    });
    raw.on("data", () => {});
    raw.resume();
  });
}

/** Resolves when the Node stream under a closed socket has closed its handle. */
function handleClosed(stream: unknown): Promise<void> {
  const s = stream as net.Socket;
  return new Promise((r) => (s.closed ? r() : s.once("close", () => r())));
}

/** Fills `skt`'s send buffer: sends until the port holds unsent data it cannot pass on. */
function fill(skt: TcpSocket): void {
  const chunk = "z".repeat(64 * 1024);
  for (let k = 0; k < 10_000; k++) {
    const r = skt.send(chunk);
    if (r[0] === null) {
      expect(r[1]).to.equal("timeout");
      expect(skt._stream!.writableLength).to.be.greaterThan(0);
      return;
    }
  }
  throw new Error("the send buffer never filled");
}

describe("socket/tcp: bounds (issue 10)", () => {
  let copas: Copas;
  let clock: ManualClock;
  const cleanup: { destroy?(): unknown; close?(): unknown }[] = [];

  beforeEach(() => {
    clock = new ManualClock(0);
    copas = new Copas({ clock });
  });

  afterEach(() => {
    for (const s of cleanup.splice(0)) {
      if (s.destroy) s.destroy();
      else s.close!();
    }
  });

  describe("1. the longest line and the largest count a receive assembles", () => {
    it(`a line that grows past max-line-size (default ${DEFAULT_MAX_LINE}) without "\\n" ends the receive as it grows`, async () => {
      const [raw, b] = await rawPeer(copas);
      cleanup.push(raw, b);
      expect(b.getoption("max-line-size")).to.deep.equal([DEFAULT_MAX_LINE, null]);
      let got: unknown[] | null = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b, "*l");
      });
      const loop = copas.loop();
      // One byte more than the bound, in pieces, and then nothing: no "\n" ever comes, so a
      // receive that only checked at the end of the line would wait here forever.
      const piece = "y".repeat(16 * 1024);
      for (let sent = 0; sent < DEFAULT_MAX_LINE; sent += piece.length) raw.write(piece);
      raw.write("y");
      await loop;
      expect(got![0]).to.equal(null);
      expect(got![1]).to.equal("line too long");
      expect((got![2] as string).length).to.equal(DEFAULT_MAX_LINE);
      // The rest stays queued: the connection is usable.
      expect(b.receive(1)).to.deep.equal(["y", null, null]);
      raw.write("next\n");
      await received(b, DEFAULT_MAX_LINE + 6);
      expect(b.receive()).to.deep.equal(["next", null, null]);
    });

    it("max-line-size: a line of exactly the bound is fine; one byte more gives the bound's worth and leaves the rest", async () => {
      const [a, b] = await pair(copas);
      cleanup.push(a, b);
      expect(b.setoption("max-line-size", 10)).to.deep.equal([1, null]);
      a.send("0123456789\n0123456789ab\nok\n");
      await received(b, 27);
      expect(b.receive()).to.deep.equal(["0123456789", null, null]);
      expect(b.receive()).to.deep.equal([null, "line too long", "0123456789"]);
      expect(b.receive()).to.deep.equal(["ab", null, null]);
      expect(b.receive("*l", "0123456789")).to.deep.equal([null, "line too long", "0123456789"]);
      expect(b.receive("*l", "012345678")).to.deep.equal([null, "line too long", "012345678o"]);
      expect(b.receive()).to.deep.equal(["k", null, null]);
      expect(b.receive("*l", "01234567890")).to.deep.equal([null, "line too long", "01234567890"]);
    });

    it("a utf8 line is cut at a character boundary", async () => {
      const [a, b] = await pair(copas);
      cleanup.push(a, b);
      b.setencoding("utf8");
      b.setoption("max-line-size", 4);
      a.send(Buffer.from("aé€x\n", "utf8")); // 1 + 2 + 3 + 1 bytes
      await received(b, 8);
      expect(b.receive()).to.deep.equal([null, "line too long", "aé"]);
      expect(b.receive()).to.deep.equal(["€x", null, null]);
    });

    it(`a byte count over max-receive-size (default ${DEFAULT_MAX_RECEIVE}) fails at once; "*a" stops at it`, async () => {
      const [a, b] = await pair(copas);
      cleanup.push(a, b);
      expect(b.getoption("max-receive-size")).to.deep.equal([DEFAULT_MAX_RECEIVE, null]);
      expect(b.receive(DEFAULT_MAX_RECEIVE + 1)).to.deep.equal([null, "size too large", ""]);
      expect(b.receive(DEFAULT_MAX_RECEIVE + 1, "pre")).to.deep.equal([null, "size too large", "pre"]);
      b.setoption("max-receive-size", 8);
      a.send("0123456789");
      await received(b, 10);
      expect(b.receive(9)).to.deep.equal([null, "size too large", ""]);
      expect(b.receive(8)).to.deep.equal(["01234567", null, null]);
      a.send("abcdefghij");
      await received(b, 20);
      expect(b.receive("*a")).to.deep.equal([null, "size too large", "89abcdef"]);
      expect(b.receive("*a")).to.deep.equal([null, "timeout", "ghij"]);
    });

    it('copas.receive(skt, "*a") over several tries stops at max-receive-size with the partial', async () => {
      const [a, b] = await pair(copas);
      cleanup.push(a, b);
      b.setoption("max-receive-size", 100);
      let got: unknown = null;
      copas.addthread(function* () {
        got = yield* copas.receive(b, "*a");
      });
      copas.addthread(function* () {
        for (let k = 0; k < 3; k++) {
          a.send("x".repeat(40));
          yield* copas.pause(0);
        }
      });
      await copas.loop();
      expect(got).to.deep.equal([null, "size too large", "x".repeat(100)]);
    });

    it("the bounds are options with checked values (1 to 2^29 - 24, V8's longest string)", async () => {
      const [a] = await pair(copas);
      cleanup.push(a);
      for (const name of ["max-line-size", "max-receive-size"]) {
        for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 29, "10", null, undefined]) {
          expect(() => a.setoption(name, bad), `${name} ${String(bad)}`).to.throw(TypeError, "'value'");
        }
        expect(a.setoption(name, 2 ** 29 - 24)).to.deep.equal([1, null]);
      }
    });
  });

  describe("4. close() with unsent data releases the descriptor in bounded time", () => {
    it(`flushes for at most DEFAULT_CLOSE_LINGER (${DEFAULT_CLOSE_LINGER} s), then resets: the peer sees an error, not a clean end`, async () => {
      const [raw, b] = await rawPeer(copas);
      cleanup.push(raw);
      raw.pause(); // a peer that never reads
      fill(b);
      const stream = b._stream!;
      b.close();
      expect(stream.destroyed).to.equal(false);
      clock.advance(DEFAULT_CLOSE_LINGER - 0.001);
      expect(stream.destroyed).to.equal(false);
      clock.advance(0.001);
      expect(stream.destroyed).to.equal(true);
      await handleClosed(stream); // the descriptor is closed
      expect(await howItEnded(raw)).to.equal("reset");
      expect(clock.pending).to.equal(0);
    });

    it('setoption("linger", { on: true, timeout: 0 }) resets at once, with or without unsent data', async () => {
      const [raw, b] = await rawPeer(copas);
      cleanup.push(raw);
      raw.pause();
      expect(b.setoption("linger", { on: true, timeout: 0 })).to.deep.equal([1, null]);
      expect(b.getoption("linger")).to.deep.equal([{ on: true, timeout: 0 }, null]);
      fill(b);
      const stream = b._stream!;
      b.close();
      expect(stream.destroyed).to.equal(true);
      expect(await howItEnded(raw)).to.equal("reset");

      const [raw2, c] = await rawPeer(copas);
      cleanup.push(raw2);
      c.setoption("linger", { on: true, timeout: 0 });
      c.close();
      expect(await howItEnded(raw2)).to.equal("reset");
      expect(clock.pending).to.equal(0);
    });

    it("linger { on: true, timeout: 2 } flushes for 2 s", async () => {
      const [raw, b] = await rawPeer(copas);
      cleanup.push(raw);
      raw.pause();
      b.setoption("linger", { on: true, timeout: 2 });
      fill(b);
      const stream = b._stream!;
      b.close();
      clock.advance(1.999);
      expect(stream.destroyed).to.equal(false);
      clock.advance(0.001);
      expect(stream.destroyed).to.equal(true);
    });

    it("a flush that completes cancels the timer and ends the connection cleanly, every byte delivered", async () => {
      const [raw, b] = await rawPeer(copas);
      cleanup.push(raw);
      raw.pause();
      fill(b);
      const sent = b.getstats()[1];
      b.close();
      expect(clock.pending).to.equal(1);
      let got = 0;
      const ended = new Promise<void>((r) => raw.once("end", () => r()));
      raw.on("data", (d: Buffer) => (got += d.length));
      raw.resume();
      await ended;
      expect(got).to.equal(sent);
      expect(clock.pending).to.equal(0);
    });

    it("input arriving while close() flushes is read and dropped, so it cannot turn the end into a reset", async () => {
      const [raw, b] = await rawPeer(copas);
      cleanup.push(raw);
      raw.pause();
      b.setoption("recv-buffer-size", 1024); // b stops reading: the rest of raw's input stays in the kernel
      const input = 200 * 1024;
      const written = new Promise<void>((r) => raw.write(Buffer.alloc(input), () => r()));
      await received(b, 1025);
      fill(b);
      const sent = b.getstats()[1];
      b.close();
      await written;
      // Wait until b has taken all of it from the kernel (Node counts what it read).
      const stream = b._stream as unknown as net.Socket;
      while (stream.bytesRead < input) await new Promise((r) => setImmediate(r));
      let got = 0;
      const end = new Promise<string>((resolve) => {
        raw.once("end", () => resolve("end"));
        raw.once("error", (e: Error & { code?: string }) => resolve(e.code ?? "error"));
      });
      raw.on("data", (d: Buffer) => (got += d.length));
      raw.resume();
      expect(await end).to.equal("end");
      expect(got).to.equal(sent);
      expect(clock.pending).to.equal(0);
    });

    it("what an ended handler leaves behind (its socket, its last send) is garbage after the linger time", async () => {
      const [server, port] = await listen(copas);
      let streamRef: WeakRef<object> | null = null;
      let sockRef: WeakRef<object> | null = null;
      copas.addserver(server, function* (skt: TcpSocket) {
        streamRef = new WeakRef(skt._stream!);
        sockRef = new WeakRef(skt);
        fill(skt); // the peer never reads; the handler ends and copas closes its socket
        copas.removeserver(server);
      });
      const raw = net.createConnection({ host: "127.0.0.1", port, allowHalfOpen: true });
      cleanup.push(raw);
      raw.pause();
      // Connected before the reset comes: a reset during connect would be an error on raw.
      const connected = new Promise((resolve) => raw.once("connect", resolve));
      await copas.loop();
      await connected;
      expect((streamRef!.deref() as net.Socket).destroyed).to.equal(false);
      clock.advance(DEFAULT_CLOSE_LINGER);
      expect((streamRef!.deref() as net.Socket).destroyed).to.equal(true);
      await handleClosed(streamRef!.deref());
      await collect();
      expect(sockRef!.deref()).to.equal(undefined);
      expect(streamRef!.deref()).to.equal(undefined); // and with it the unsent Buffers
    });

    it("accepted connections inherit the listener's linger (as from the kernel) and receive bounds", async () => {
      const [server, port] = await listen(copas);
      expect(server.setoption("linger", { on: true, timeout: 7 })).to.deep.equal([1, null]);
      server.setoption("max-line-size", 100);
      server.setoption("max-receive-size", 200);
      const [client] = await copas.socket.connect("127.0.0.1", port);
      await copas.socket.select([server], null);
      const [accepted] = server.accept();
      cleanup.push(server, client!, accepted!);
      expect(accepted!.getoption("linger")).to.deep.equal([{ on: true, timeout: 7 }, null]);
      expect(accepted!.getoption("max-line-size")).to.deep.equal([100, null]);
      expect(accepted!.getoption("max-receive-size")).to.deep.equal([200, null]);
      expect(client!.getoption("linger")).to.deep.equal([{ on: false, timeout: 0 }, null]);
    });

    describe("TLS (a TLS stream has no TCP handle of its own to reset)", () => {
      const F = fileURLToPath(new URL("../fixtures/", import.meta.url));
      const serverA = { mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem" };
      const clientParams = { mode: "client", cafile: F + "rootA.pem" };

      it("linger 0 closes at once: the peer sees 'closed'", async () => {
        const [server, port] = await listen(copas);
        let stream: TcpSocket["_stream"] = null;
        copas.addserver(
          server,
          copas.handler(function* (skt) {
            const raw = skt.socket as TcpSocket;
            stream = raw._stream;
            raw.setoption("linger", { on: true, timeout: 0 });
            skt.close();
            copas.removeserver(server);
          }, serverA),
        );
        let got: unknown = null;
        copas.addthread(function* () {
          const c = copas.wrap(copas.socket.tcp(), clientParams);
          const [, err] = yield* c.connect("localhost", port);
          expect(err).to.equal(null);
          got = yield* c.receive("*a");
          c.close();
        });
        await copas.loop();
        expect(stream!.destroyed).to.equal(true);
        expect(got).to.deep.equal([null, "closed", ""]);
      });
    });

    it("linger is checked as LuaSocket does: a table with a boolean 'on' and a number 'timeout'", async () => {
      const [a] = await pair(copas);
      cleanup.push(a);
      for (const bad of [5, null, {}, { on: 1, timeout: 0 }, { on: true }, { on: true, timeout: -1 }, { on: true, timeout: NaN }, { on: true, timeout: Infinity }]) {
        expect(() => a.setoption("linger", bad), JSON.stringify(bad)).to.throw(TypeError, "'value'");
      }
    });
  });

  describe("9. bad option values and patterns are TypeErrors naming the argument", () => {
    it("send-buffer-size -1, recv-buffer-size 0 or Infinity, keepalive {}, receive(Infinity)", async () => {
      const [a] = await pair(copas);
      cleanup.push(a);
      expect(() => a.setoption("send-buffer-size", -1)).to.throw(TypeError, "'value'");
      expect(() => a.setoption("recv-buffer-size", 0)).to.throw(TypeError, "'value'");
      expect(() => a.setoption("recv-buffer-size", Infinity)).to.throw(TypeError, "'value'");
      expect(() => a.setoption("keepalive", {})).to.throw(TypeError, "'value'");
      expect(() => a.setoption("tcp-nodelay", 1)).to.throw(TypeError, "'value'");
      expect(() => a.receive(Infinity)).to.throw(TypeError, "'pattern'");
      expect(() => a.send("x", Infinity)).to.throw(TypeError, "'i'");
      expect(() => a.send("x", 1, -Infinity)).to.throw(TypeError, "'j'");
      // The bounds did not change.
      expect(a.getoption("send-buffer-size")).to.deep.equal([64 * 1024, null]);
      expect(a.getoption("recv-buffer-size")).to.deep.equal([64 * 1024, null]);
      expect(a.getoption("keepalive")).to.deep.equal([false, null]);
    });
  });
});
