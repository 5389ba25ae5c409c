// A TLS handler under the explorer: node:tls over the simulated network, seeded faults, many
// seeds. node:tls draws its own randoms (not from the seed), so what replays is the run's
// events and times; the bytes differ. Record sizes replay too with an RSA key (an RSA signature
// always has the key's length; ECDSA ones vary by a byte or two): then even a run that splits
// records into seeded chunks replays bit for bit (spec/sim/fixtures, made by make-certs.sh).
import { expect } from "chai";
import { fileURLToPath } from "node:url";
import type { AnySocket, Copas, CopasSocket } from "copas";
import { explore, type Scenario } from "copas/testing";

const S = fileURLToPath(new URL("./fixtures/", import.meta.url));
const F = fileURLToPath(new URL("../fixtures/", import.meta.url));
const RSA = {
  server: { mode: "server", key: S + "rsa-server-key.pem", certificate: S + "rsa-server.pem", options: "no_ticket" },
  client: { mode: "client", cafile: S + "rsa-root.pem" },
};
const ECDSA = {
  server: { mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem" },
  client: { mode: "client", cafile: F + "rootA.pem" },
};

/**
 * A TLS echo handler on 127.0.0.1:443 and `clients` clients on their own hosts, each sending
 * `lines` lines and retrying on a new connection (a new handshake) when one breaks. Checks
 * that every line comes back whole, and (`fail`) can fail on purpose to get a trace.
 */
function tlsEcho(params: { server: object; client: object }, clients: number, lines: number, fail = false): Scenario<Copas> {
  return (w) => {
    const d = w.copas;
    let echoed = 0;
    let left = clients;
    d.addthread(function* () {
      const [server] = yield* d.await(w.net.socket.bind("127.0.0.1", 443));
      const echo = d.handler(function* (skt: CopasSocket) {
        for (;;) {
          const [line] = yield* skt.receive();
          if (line === null) return;
          yield* skt.send(line + "\n");
        }
      }, params.server);
      d.addserver(server!, function* (skt: AnySocket) {
        try {
          yield* echo(skt);
        } catch (e) {
          // A reset during the handshake: the handler throws (as Copas's); the server goes on.
          if (!handshakeFailed(e)) throw e;
        }
      });
      for (let c = 0; c < clients; c++) {
        d.addnamedthread(`client${c}`, function* () {
          let skt: CopasSocket | null = null;
          for (let k = 0, tries = 0; k < lines; tries++) {
            if (tries > 50) throw new Error(`client${c}: no luck after 50 tries`);
            if (skt === null) {
              const raw = w.net.socket.tcp();
              raw.bind(`10.0.0.${c + 1}`, 0);
              skt = d.wrap(raw, params.client);
              skt.settimeout(2);
              // As Copas: a handshake that fails other than by timing out throws.
              let ok: unknown = null;
              try {
                [ok] = yield* skt.connect("localhost", 443);
              } catch (e) {
                if (!handshakeFailed(e)) throw e;
              }
              if (ok === null) {
                skt.close();
                skt = null;
                continue;
              }
            }
            const line = `line ${k} of client ${c} ${"x".repeat(w.rng.int(200))}`;
            yield* skt.send(line + "\n");
            const [back] = yield* skt.receive();
            if (back === line) {
              echoed++;
              k++;
            } else {
              if (back !== null) throw new Error(`client${c}: sent ${line}, got ${back}`);
              skt.close();
              skt = null;
            }
          }
          skt?.close();
          if (--left === 0) d.removeserver(server!);
        });
      }
    });
    return { end: () => !fail && echoed === clients * lines };
  };
}

function handshakeFailed(e: unknown): boolean {
  return e instanceof Error && /^TLS\/SSL handshake failed: /.test(e.message);
}

const faults = { reset: 0.01, spike: 0.02, spikeLatency: [0.1, 0.5] as [number, number], chunkSize: [1, 400] as [number, number] };

describe("sim/tls-explore: a TLS handler under the explorer", () => {
  it("serves every line whole through resets, spikes and split records, on every seed", async () => {
    const r = await explore({ seeds: 12, faults }, tlsEcho(RSA, 3, 5));
    expect(r.failure?.report ?? null).to.equal(null);
    expect(r.runs).to.equal(12);
  });

  it("replays a seed bit for bit with an RSA key, records split into seeded chunks", async () => {
    const o = { faults, shrink: false };
    const a = (await explore({ ...o, seeds: [4] }, tlsEcho(RSA, 2, 4, true))).failure!;
    const b = (await explore({ ...o, seeds: [4] }, tlsEcho(RSA, 2, 4, true))).failure!;
    expect(a.replayed).to.equal(true);
    expect(a.trace.filter((l) => / fault split /.test(l)).length).to.be.above(5);
    expect(b.trace).to.deep.equal(a.trace);
    expect((await explore({ ...o, seeds: [5] }, tlsEcho(RSA, 2, 4, true))).failure!.trace).to.not.deep.equal(a.trace);
  });

  it("replays a seed with an ECDSA key too, but for the byte counts, when records are not split", async () => {
    const o = { faults: { reset: 0.01, spike: 0.02 }, shrink: false };
    const a = (await explore({ ...o, seeds: [6] }, tlsEcho(ECDSA, 2, 4, true))).failure!;
    const b = (await explore({ ...o, seeds: [6] }, tlsEcho(ECDSA, 2, 4, true))).failure!;
    const blank = (t: string[]) => t.map((l) => l.replace(/ \d+ bytes$/, " N bytes"));
    expect(a.replayed).to.equal(true);
    expect(blank(b.trace)).to.deep.equal(blank(a.trace));
  });
});
