// TLS on the real network through Network.secure: errors as types (TlsHandshakeError), the
// default handshake time limit, and a TLS client's sends after the server closed (issue 9 item
// 11: "closed", as on plain TCP, where they used to succeed into the void).

import { expect } from "chai";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Copas, HANDSHAKE_TIMEOUT, TlsHandshakeError, type CopasSocket } from "copas";
import { autoClock } from "../helpers/run.js";

const F = fileURLToPath(new URL("../fixtures/", import.meta.url));
const serverA = { mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem" };
const otherA = { mode: "server", key: F + "otherAkey.pem", certificate: F + "otherA.pem" };
const clientParams = { mode: "client", cafile: F + "rootA.pem" };

async function serve(copas: Copas, params: unknown, handler: (skt: CopasSocket) => unknown): Promise<[ReturnType<Copas["socket"]["tcp"]>, number]> {
  const [server, err] = await copas.socket.bind("127.0.0.1", 0);
  expect(err).to.equal(null);
  copas.addserver(server!, copas.handler(handler, params));
  return [server!, server!.getsockname()[1] as number];
}

describe("node: TLS through the Network seam", () => {
  describe("TlsHandshakeError", () => {
    it("is what a failed handshake throws: Copas's message, the reason and the engine's code", async () => {
      const copas = new Copas();
      copas.seterrorhandler(() => {}, true); // the server's side fails too
      const [server, port] = await serve(copas, otherA, function* () {});
      const got: unknown[] = [];
      copas.addthread(function* () {
        for (const close of [false, true]) {
          const skt = copas.socket.tcp();
          yield* copas.connect(skt, "127.0.0.1", port);
          if (close) skt.close();
          try {
            yield* copas.dohandshake(skt, { ...clientParams, host: "localhost" });
          } catch (e) {
            const t = e as TlsHandshakeError;
            got.push([e instanceof TlsHandshakeError, e instanceof Error, t.name, t.code, t.message === `TLS/SSL handshake failed: ${t.reason}`, t.reason]);
          }
        }
        copas.removeserver(server);
      });
      await copas.loop();
      expect(got).to.have.length(2);
      // otherA is for "other.test" only: the host name check fails.
      expect((got[0] as unknown[]).slice(0, 5)).to.deep.equal([true, true, "TlsHandshakeError", "ERR_TLS_CERT_ALTNAME_INVALID", true]);
      expect((got[0] as unknown[])[5]).to.match(/localhost/);
      expect(got[1]).to.deep.equal([true, true, "TlsHandshakeError", "ERR_TLS_HANDSHAKE", true, "closed"]);
    });

    it("http tells it apart by type, not by text: a TlsHandshakeError is a result, a look-alike Error is thrown", async () => {
      const copas = new Copas();
      const got: unknown[] = [];
      const failing = (e: Error) => () => {
        const w = copas.wrap(copas.socket.tcp());
        // A connect op that fails at once.
        (w as unknown as { connect: () => never }).connect = () => {
          throw e;
        };
        return w;
      };
      copas.addthread(function* () {
        got.push(yield* copas.http.request({ url: "https://localhost:1/", create: failing(new TlsHandshakeError("bad peer", "X")) }));
        try {
          yield* copas.http.request({ url: "https://localhost:1/", create: failing(new Error("TLS/SSL handshake failed: look-alike")) });
          got.push("returned");
        } catch (e) {
          got.push((e as Error).message);
        }
      });
      await copas.loop();
      expect(got).to.deep.equal([[null, "TLS/SSL handshake failed: bad peer"], "TLS/SSL handshake failed: look-alike"]);
    });
  });

  describe("handshake time limit", () => {
    it(`drops a TLS client that sends nothing after HANDSHAKE_TIMEOUT (${HANDSHAKE_TIMEOUT} s) of copas time; the handler never runs`, async () => {
      const clock = autoClock(1000); // jumps to the next timer whenever the dispatcher idles
      const copas = new Copas({ clock });
      const errs: unknown[] = [];
      copas.seterrorhandler((e) => void errs.push(e), true);
      let ran = false;
      const [server, port] = await serve(copas, serverA, () => {
        ran = true;
      });
      const raw = net.connect(port, "127.0.0.1");
      raw.on("error", () => {});
      const dropped = new Promise<void>((resolve) => raw.on("close", () => resolve()));
      const loop = copas.loop();
      await dropped;
      copas.addthread(() => copas.removeserver(server));
      await loop;
      expect([ran, errs, clock.now() - 1000]).to.deep.equal([false, [], HANDSHAKE_TIMEOUT]);
    });
  });

  describe("a TLS server closing while its client still sends (issue 9 item 11)", () => {
    for (const secure of [false, true]) {
      it(`${secure ? "TLS" : "TCP"}: the client's later sends fail with 'closed' before 16 MB went out`, async () => {
        const copas = new Copas();
        const [server, port] = await serve(copas, secure ? serverA : null, function* (skt) {
          yield* skt.receive(1000); // then the handler ends: the client is closed with data unread
        });
        const got: unknown[] = [];
        copas.addthread(function* () {
          const c = copas.wrap(copas.socket.tcp(), secure ? clientParams : null);
          yield* c.connect("localhost", port);
          const chunk = "x".repeat(65536);
          let sent = 0;
          let err: string | null = null;
          while (sent < 16 * 1048576) {
            const r = yield* c.send(chunk);
            if (r[0] === null) {
              err = r[1];
              break;
            }
            sent += chunk.length;
          }
          got.push(err, sent < 16 * 1048576);
          c.close();
          copas.removeserver(server);
        });
        await copas.loop();
        expect(got).to.deep.equal(["closed", true]);
      });
    }
  });
});
