import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { sniContexts, tlsConfig } from "../../lib/node/tls-params.js";

const F = fileURLToPath(new URL("../fixtures/", import.meta.url));

describe("tls-params", () => {
  it("maps LuaSec's wrap table and caches the result per table", () => {
    const t = { mode: "server", protocol: "tlsv1_2", key: F + "serverAkey.pem", certificate: F + "serverA.pem", options: ["all", "no_sslv2", "single_dh_use"] };
    const c = tlsConfig(t);
    expect(c.isServer).to.equal(true);
    expect(c.verifyPeer).to.equal(false); // servers ask nothing unless told "peer"
    expect(c.requirePeerCert).to.equal(false);
    expect(c.context.constructor.name).to.equal("SecureContext");
    expect(tlsConfig(t)).to.equal(c);
    expect(tlsConfig({ ...t })).to.not.equal(c);
  });

  it("verifies peers by default on clients (Copas #222) and only when told on servers", () => {
    expect(tlsConfig({ mode: "client" }).verifyPeer).to.equal(true);
    expect(tlsConfig({ mode: "client", verify: "none" }).verifyPeer).to.equal(false);
    expect(tlsConfig({ mode: "client", rejectUnauthorized: false }).verifyPeer).to.equal(false);
    const s = tlsConfig({ mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem", verify: ["peer", "fail_if_no_peer_cert"] });
    expect([s.verifyPeer, s.requirePeerCert]).to.deep.equal([true, true]);
    const p = tlsConfig({ mode: "server", key: F + "serverAkey.pem", certificate: F + "serverA.pem", verify: "peer" });
    expect([p.verifyPeer, p.requirePeerCert]).to.deep.equal([true, false]);
  });

  it("takes PEM text, a password function, a capath directory, ALPN and Node keys", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "copas-capath-"));
    try {
      fs.copyFileSync(F + "rootA.pem", path.join(dir, "a.pem"));
      fs.writeFileSync(path.join(dir, "notes.txt"), "not a certificate");
      const c = tlsConfig({
        mode: "client",
        key: fs.readFileSync(F + "clientAkey.pem", "latin1"),
        certificate: fs.readFileSync(F + "clientA.pem", "latin1"),
        capath: dir,
        password: () => "unused",
        alpn: "h2",
        servername: "example.test",
      });
      expect(c.alpn).to.deep.equal(["h2"]);
      expect(c.extra).to.deep.equal({ servername: "example.test" });
      expect(c.isServer).to.equal(false);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    const ctx = tls.createSecureContext({});
    expect(tlsConfig(ctx).context).to.equal(ctx);
    expect(tlsConfig(ctx).isServer).to.equal(null);
    expect(tlsConfig({ secureContext: ctx }).context).to.equal(ctx);
  });

  it("rejects bad keys with TypeErrors and unreadable files with LuaSec-like errors", () => {
    expect(() => tlsConfig({})).to.throw(TypeError, /not an empty table/);
    expect(() => tlsConfig(null)).to.throw(TypeError, /sslparams/);
    expect(() => tlsConfig({ mode: "both" })).to.throw(TypeError, /bad argument 'mode'/);
    expect(() => tlsConfig({ mode: "client", protocol: "sslv3" })).to.throw(TypeError, /bad argument 'protocol'/);
    expect(() => tlsConfig({ mode: "client", verify: ["peer", "sometimes"] })).to.throw(TypeError, /bad argument 'verify'/);
    expect(() => tlsConfig({ mode: "client", options: ["all", "bogus"] })).to.throw(TypeError, /bad argument 'options'/);
    expect(() => tlsConfig({ mode: "client", password: 42 })).to.throw(TypeError, /bad argument 'password'/);
    expect(() => tlsConfig({ mode: "client", certificate: F + "missing.pem" })).to.throw(Error, /^error loading certificate \(ENOENT/);
    expect(() => tlsConfig({ mode: "client", cafile: F + "missing.pem" })).to.throw(Error, /^error loading CA locations/);
    expect(() => tlsConfig({ mode: "client", key: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n" })).to.throw(Error, /^error creating TLS context/);
  });

  it("makes SNI contexts from contexts, wrap tables and Maps", () => {
    const ctx = tls.createSecureContext({});
    const m = sniContexts({ "a.test": ctx, "b.test": { key: F + "otherAkey.pem", certificate: F + "otherA.pem" } });
    expect([...m.keys()]).to.deep.equal(["a.test", "b.test"]);
    expect(m.get("a.test")).to.equal(ctx);
    expect(sniContexts(new Map([["c.test", ctx]])).get("c.test")).to.equal(ctx);
  });
});
