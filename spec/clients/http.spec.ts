import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Copas, type CopasSocket, type HttpHeaders, type Sink } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";
import { run } from "../helpers/run.js";

const F = fileURLToPath(new URL("../fixtures/", import.meta.url));
const CA = F + "rootA.pem";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const open: { close(): unknown }[] = [];

afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** A node:http (or https) server on 127.0.0.1 port 0; `seen` records each request. */
async function serve(handler: Handler, secure = false): Promise<{ port: number; seen: Seen[]; base: string }> {
  const seen: Seen[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = "";
    req.setEncoding("latin1");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  };
  const srv = secure
    ? https.createServer({ key: fs.readFileSync(F + "serverAkey.pem"), cert: fs.readFileSync(F + "serverA.pem") }, onRequest)
    : http.createServer(onRequest);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  open.push({ close: () => (srv.closeAllConnections(), srv.close()) });
  const port = (srv.address() as net.AddressInfo).port;
  return { port, seen, base: `${secure ? "https" : "http"}://127.0.0.1:${port}` };
}

/** A raw TCP server: `reply(requestHead, socket)` runs once the request's head has arrived. */
async function raw(reply: (head: string, skt: net.Socket) => void): Promise<{ port: number; heads: string[] }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((skt) => {
    sockets.add(skt);
    skt.on("close", () => sockets.delete(skt));
    skt.on("error", () => {});
    let buf = "";
    let done = false;
    skt.setEncoding("latin1");
    skt.on("data", (d: string) => {
      buf += d;
      if (done || !buf.includes("\r\n\r\n")) return;
      done = true;
      heads.push(buf);
      reply(buf, skt);
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  open.push({ close: () => (sockets.forEach((s) => s.destroy()), srv.close()) });
  return { port: (srv.address() as net.AddressInfo).port, heads };
}

/** Runs `body` as a copas thread on a fresh dispatcher; gives its return value. */
async function inCopas<T>(body: (copas: Copas) => Generator<unknown, T, unknown>, copas = new Copas()): Promise<T> {
  let out: T | undefined;
  await run(copas, function* () {
    out = yield* body(copas);
  });
  return out as T;
}

describe("http", () => {
  it("is per dispatcher, with Copas's constants", () => {
    const a = new Copas();
    expect(a.http).to.equal(a.http);
    expect(a.http).to.not.equal(new Copas().http);
    expect(a.http.TIMEOUT).to.equal(60);
    expect(a.http.PORT).to.equal(80);
    expect(a.http.SSLPORT).to.equal(443);
    expect(a.http.USERAGENT).to.be.a("string");
    expect(a.http.SSLVERIFY).to.equal("peer");
  });

  describe("simple form", () => {
    it("GET: [body, code, headers, status]; sends host, user-agent, connection and te", async () => {
      const { port, seen, base } = await serve((_req, res) => {
        res.setHeader("X-Multi", ["a", "b"]);
        res.setHeader("Content-Type", "text/plain");
        res.end("hello world");
      });
      const [body, code, headers, status] = await inCopas((c) => c.http.request(`${base}/path/x?q=1&r=2#frag`));
      expect(body).to.equal("hello world");
      expect(code).to.equal(200);
      expect(status).to.equal("HTTP/1.1 200 OK");
      expect(headers).to.include({ "x-multi": "a, b", "content-type": "text/plain", "content-length": "11" });
      expect(seen).to.have.length(1);
      expect(seen[0]!.method).to.equal("GET");
      expect(seen[0]!.url).to.equal("/path/x?q=1&r=2");
      expect(seen[0]!.headers).to.include({
        host: `127.0.0.1:${port}`,
        "user-agent": new Copas().http.USERAGENT,
        connection: "close, TE",
        te: "trailers",
      });
    });

    it("POST with a body: form-urlencoded, content-length", async () => {
      const { seen, base } = await serve((_req, res, body) => res.end(Buffer.from(`got ${body}`, "latin1")));
      const [body, code] = await inCopas((c) => c.http.request(`${base}/form`, "a=1&b=\xe9"));
      expect([body, code]).to.deep.equal(["got a=1&b=\xe9", 200]);
      expect(seen[0]!.method).to.equal("POST");
      expect(seen[0]!.body).to.equal("a=1&b=\xe9");
      expect(seen[0]!.headers).to.include({ "content-type": "application/x-www-form-urlencoded", "content-length": "7" });
    });

    it("binary bodies round-trip as latin1 strings", async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const { base } = await serve((_req, res) => res.end(bytes));
      const [body] = await inCopas((c) => c.http.request(`${base}/bin`));
      expect(Buffer.from(body as string, "latin1").equals(bytes)).to.equal(true);
    });

    it("a status other than 200 is a response, not an error", async () => {
      const { base } = await serve((_req, res) => {
        res.statusCode = 404;
        res.end("nope");
      });
      const r = await inCopas((c) => c.http.request(`${base}/missing`));
      expect(r[0]).to.equal("nope");
      expect(r[1]).to.equal(404);
      expect(r[3]).to.equal("HTTP/1.1 404 Not Found");
    });
  });

  describe("response bodies", () => {
    it("chunked, trailers read and dropped (as LuaSocket); chunk extensions skipped", async () => {
      const { port } = await raw((_h, skt) => {
        skt.end(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5;ext=1\r\nhello\r\n1\r\n \r\nB\r\nworld, and \r\n3\r\nall\r\n0\r\nX-Trailer: yes\r\n\r\n",
        );
      });
      const [body, code, headers] = await inCopas((c) => c.http.request(`http://127.0.0.1:${port}/`));
      expect(body).to.equal("hello world, and all");
      expect(code).to.equal(200);
      expect(headers).to.deep.equal({ "transfer-encoding": "chunked" }); // issue 9, item 14
    });

    it("large chunked and content-length bodies arrive whole", async () => {
      const big = "0123456789abcdef".repeat(20000);
      const { base } = await serve((req, res) => {
        if (req.url === "/chunked") {
          res.write(big.slice(0, 100000));
          res.end(big.slice(100000));
        } else res.end(big);
      });
      const [a, b] = await inCopas(function* (c) {
        const [x] = yield* c.http.request(`${base}/chunked`);
        const [y, , h] = yield* c.http.request(`${base}/length`);
        expect(h!["content-length"]).to.equal(String(big.length));
        return [x, y];
      });
      expect(a).to.equal(big);
      expect(b).to.equal(big);
    });

    it("without length or chunking, the body runs until the server closes", async () => {
      const { port } = await raw((_h, skt) => {
        skt.write("HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\npart one, ");
        setImmediate(() => skt.end("part two"));
      });
      const r = await inCopas((c) => c.http.request(`http://127.0.0.1:${port}/`));
      expect(r).to.deep.equal(["part one, part two", 200, { "x-a": "1" }, "HTTP/1.0 200 OK"]);
    });

    it("headers: names lowercased, folded lines unfolded, repeats joined with ', '", async () => {
      const { port } = await raw((_h, skt) => {
        skt.end("HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\n\tthree\r\nSet-Thing: a\r\nset-thing: b\r\nEmpty:\r\nContent-Length: 2\r\n\r\nok");
      });
      const [, , headers] = await inCopas((c) => c.http.request(`http://127.0.0.1:${port}/`));
      expect(headers).to.deep.equal({ "x-folded": "one  two\tthree", "set-thing": "a, b", empty: "", "content-length": "2" });
    });

    it("a header block over MAXHEADERSIZE fails with 'oversized'", async () => {
      const { port } = await raw((_h, skt) => {
        let h = "HTTP/1.1 200 OK\r\n";
        for (let i = 0; i < 100; i++) h += `X-${i}: ${"v".repeat(1000)}\r\n`;
        skt.end(h + "\r\n");
      });
      const r = await inCopas((c) => c.http.request(`http://127.0.0.1:${port}/`));
      expect(r).to.deep.equal([null, "oversized"]);
    });

    it("skips 100-continue answers; HEAD, 204 and 304 have no body", async () => {
      const { port } = await raw((head, skt) => {
        if (head.startsWith("HEAD")) skt.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        else if (head.startsWith("GET /204")) skt.end("HTTP/1.1 204 No Content\r\n\r\n");
        else skt.end("HTTP/1.1 100 Continue\r\nX-Skip: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
      });
      const [a, b, c3] = await inCopas(function* (c) {
        const a = yield* c.http.request(`http://127.0.0.1:${port}/`);
        const b = yield* c.http.request({ url: `http://127.0.0.1:${port}/`, method: "HEAD" });
        const c3 = yield* c.http.request(`http://127.0.0.1:${port}/204`);
        return [a, b, c3];
      });
      expect(a).to.deep.equal(["abc", 200, { "content-length": "3" }, "HTTP/1.1 200 OK"]);
      expect(b).to.deep.equal([1, 200, { "content-length": "5" }, "HTTP/1.1 200 OK"]);
      expect(c3).to.deep.equal(["", 204, {}, "HTTP/1.1 204 No Content"]);
    });

    it("an HTTP/0.9 answer (no status line) is the body, code 200", async () => {
      const { port } = await raw((_h, skt) => skt.end("just text, no status"));
      const r = await inCopas((c) => c.http.request(`http://127.0.0.1:${port}/`));
      expect(r).to.deep.equal(["just text, no status", 200, null, null]);
    });

    it("protocol errors: bad status line, malformed headers, bad chunk size, early close", async () => {
      const { port } = await raw((head, skt) => {
        const path = head.split(" ")[1];
        if (path === "/status") skt.end("HTTP/1.1 abc\r\n\r\n");
        else if (path === "/headers") skt.end("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
        else if (path === "/chunk") skt.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        else skt.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
      });
      const u = `http://127.0.0.1:${port}`;
      const rs = await inCopas(function* (c) {
        const out = [];
        for (const p of ["/status", "/headers", "/chunk", "/short"]) out.push(yield* c.http.request(`${u}${p}`));
        return out;
      });
      expect(rs).to.deep.equal([
        [null, "HTTP/1.1 abc"],
        [null, "malformed reponse headers"],
        [null, "invalid chunk size"],
        [null, "closed"],
      ]);
    });
  });

  describe("generic form", () => {
    it("sink gets the body; the result starts with 1", async () => {
      const { base } = await serve((_req, res) => res.end("into the sink"));
      const [r, parts] = await inCopas(function* (c) {
        const [sink, parts] = c.ltn12.sink.table();
        const r = yield* c.http.request({ url: `${base}/s`, sink });
        return [r, parts] as const;
      });
      expect(r[0]).to.equal(1);
      expect(r[1]).to.equal(200);
      expect(parts.join("")).to.equal("into the sink");
    });

    it("a source without content-length is sent chunked; with one, as is", async () => {
      const { seen, base } = await serve((_req, res, body) => res.end(body.toUpperCase()));
      const data = "x".repeat(5000) + "end";
      const out = await inCopas(function* (c) {
        const [sink, parts] = c.ltn12.sink.table();
        const r1 = yield* c.http.request({ url: `${base}/a`, method: "PUT", source: c.ltn12.source.string(data), sink });
        const r2 = yield* c.http.request({
          url: `${base}/b`,
          method: "POST",
          source: c.ltn12.source.string("abc"),
          headers: { "Content-Length": 3, "X-Custom": "yes" },
        });
        return [r1[1], r2[1], parts.join("")];
      });
      expect(out).to.deep.equal([200, 200, data.toUpperCase()]);
      expect(seen[0]!.method).to.equal("PUT");
      expect(seen[0]!.headers["transfer-encoding"]).to.equal("chunked");
      expect(seen[0]!.body).to.equal(data);
      expect(seen[1]!.headers).to.include({ "content-length": "3", "x-custom": "yes" });
      expect(seen[1]!.headers["transfer-encoding"]).to.equal(undefined);
      expect(seen[1]!.body).to.equal("abc");
    });

    it("user headers replace the defaults", async () => {
      const { seen, base } = await serve((_req, res) => res.end());
      await inCopas((c) => c.http.request({ url: `${base}/`, headers: { "User-Agent": "mine", Host: "example.org" } }));
      expect(seen[0]!.headers).to.include({ "user-agent": "mine", host: "example.org" });
    });

    it("generator-function sources and sinks may wait", async () => {
      const { seen, base } = await serve((_req, res, body) => res.end(body + "!"));
      const got: string[] = [];
      const r = await inCopas(function* (c) {
        let n = 0;
        return yield* c.http.request({
          url: `${base}/`,
          method: "POST",
          *source() {
            yield* c.pause(0);
            return n < 3 ? `p${n++}` : null;
          },
          *sink(chunk) {
            yield* c.pause(0);
            if (chunk !== null) got.push(chunk as string);
            return 1;
          },
        });
      });
      expect(r[0]).to.equal(1);
      expect(seen[0]!.body).to.equal("p0p1p2");
      expect(got.join("")).to.equal("p0p1p2!");
    });

    it("a sink's [null, err] and a source's [null, err] fail the request", async () => {
      const { base } = await serve((_req, res) => res.end("data"));
      const [a, b] = await inCopas(function* (c) {
        const stop: Sink = (chunk) => (chunk === null ? 1 : [null, "sink full"]);
        const a = yield* c.http.request({ url: `${base}/`, sink: stop });
        const b = yield* c.http.request({ url: `${base}/`, method: "POST", source: () => [null, "source broke"] as [null, string] });
        return [a, b];
      });
      expect(a).to.deep.equal([null, "sink full"]);
      expect(b).to.deep.equal([null, "source broke"]);
    });

    it("basic authorization from the url; a proxy gets the whole url", async () => {
      const { port, heads } = await raw((_h, skt) => skt.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
      await inCopas(function* (c) {
        yield* c.http.request(`http://user:p%40ss@127.0.0.1:${port}/secret`);
        yield* c.http.request({ url: "http://example.invalid:8080/via?x=1", proxy: `http://127.0.0.1:${port}` });
      });
      expect(heads[0]).to.match(/^GET \/secret HTTP\/1\.1\r\n/);
      expect(heads[0]).to.include(`Authorization: Basic ${Buffer.from("user:p@ss").toString("base64")}\r\n`);
      expect(heads[0]).to.include(`Host: 127.0.0.1:${port}\r\n`);
      expect(heads[1]).to.match(/^GET http:\/\/example\.invalid:8080\/via\?x=1 HTTP\/1\.1\r\n/);
      expect(heads[1]).to.include("Host: example.invalid:8080\r\n");
    });

    it("create makes the socket", async () => {
      const { base } = await serve((_req, res) => res.end("made"));
      let calls = 0;
      const r = await inCopas(function* (c) {
        return yield* c.http.request({
          url: `${base}/`,
          create: () => {
            calls++;
            return c.socket.tcp();
          },
        });
      });
      expect([r[0], calls]).to.deep.equal([1, 1]);
    });
  });

  describe("redirects", () => {
    it("follows relative and absolute locations; the last location is left in the headers", async () => {
      const { seen, base } = await serve((req, res) => {
        if (req.url === "/a") res.writeHead(302, { Location: "b?x=1" }).end();
        else if (req.url === "/b?x=1") res.writeHead(301, { Location: `${base}/c` }).end();
        else if (req.url === "/c") res.writeHead(303, { Location: "/d" }).end();
        else if (req.url === "/d") res.writeHead(307, { Location: "/e" }).end();
        else if (req.url === "/e") res.writeHead(308, { Location: "/f" }).end();
        else res.end(`at ${req.url}`);
      });
      const [body, code, headers] = await inCopas((c) => c.http.request(`${base}/a`));
      expect([body, code]).to.deep.equal(["at /f", 200]);
      expect(headers!.location).to.equal("/f");
      expect(seen.map((s) => s.url)).to.deep.equal(["/a", "/b?x=1", "/c", "/d", "/e", "/f"]);
    });

    it("a loop stops after maxredirects (default 5) with the redirect itself", async () => {
      const { seen, base } = await serve((_req, res) => res.writeHead(302, { Location: "/loop" }).end("again"));
      const [r5, r2, none] = await inCopas(function* (c) {
        const r5 = yield* c.http.request(`${base}/loop`);
        const [sink, parts] = c.ltn12.sink.table();
        const r2 = yield* c.http.request({ url: `${base}/loop`, maxredirects: 2, sink });
        const none = yield* c.http.request({ url: `${base}/loop`, redirect: false });
        return [r5, [r2[0], r2[1], parts.join("")], none[1]];
      });
      expect(r5[0]).to.equal("again");
      expect(r5[1]).to.equal(302);
      expect(r2).to.deep.equal([1, 302, "again"]);
      expect(none).to.equal(302);
      expect(seen.length).to.equal(6 + 3 + 1);
    });

    it("does not redirect other methods, or a request with a body", async () => {
      const { seen, base } = await serve((_req, res) => res.writeHead(307, { Location: "/other" }).end());
      const codes = await inCopas(function* (c) {
        const a = yield* c.http.request(`${base}/post`, "x=1");
        const b = yield* c.http.request({ url: `${base}/del`, method: "DELETE" });
        return [a[1], b[1]];
      });
      expect(codes).to.deep.equal([307, 307]);
      expect(seen.map((s) => s.url)).to.deep.equal(["/post", "/del"]);
    });

    it("http → https, checking the server with the CA given as cafile", async () => {
      const tlsSrv = await serve((req, res) => res.end(`secure ${req.url}`), true);
      const { base } = await serve((_req, res) => res.writeHead(302, { Location: `${tlsSrv.base}/there` }).end());
      const [ok, bad, unchecked] = await inCopas(function* (c) {
        const [sink, parts] = c.ltn12.sink.table();
        const ok = yield* c.http.request({ url: `${base}/here`, sink, cafile: CA });
        const bad = yield* c.http.request(`${tlsSrv.base}/`);
        const unchecked = yield* c.http.request({ url: `${tlsSrv.base}/nv`, verify: "none", sink: c.ltn12.sink.null() });
        return [[ok[0], ok[1], parts.join(""), ok[2]!.location], bad, unchecked[1]];
      });
      expect(ok).to.deep.equal([1, 200, "secure /there", `${tlsSrv.base}/there`]);
      expect(bad[0]).to.equal(null);
      expect(bad[1]).to.match(/^TLS\/SSL handshake failed: /);
      expect(unchecked).to.equal(200);
    });

    it("https by host name (SNI and name check), and https → http only with redirect 'all'", async () => {
      const plain = await serve((_req, res) => res.end("plain"));
      const tlsSrv = await serve((req, res) => {
        if (req.url === "/down") res.writeHead(302, { Location: `${plain.base}/x` }).end();
        else res.end(`hi ${req.headers.host}`);
      }, true);
      const r = await inCopas(function* (c) {
        const named = yield* c.http.request({ url: `https://localhost:${tlsSrv.port}/`, cafile: CA });
        const down = yield* c.http.request({ url: `${tlsSrv.base}/down`, cafile: CA });
        const all = yield* c.http.request({ url: `${tlsSrv.base}/down`, cafile: CA, redirect: "all" });
        return [named[1], down, all[1]];
      });
      expect(r).to.deep.equal([200, [null, "Unallowed insecure redirect https to http"], 200]);
      expect(plain.seen).to.have.length(1);
    });
  });

  describe("failures", () => {
    it("connection refused", async () => {
      const srv = net.createServer();
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      const port = (srv.address() as net.AddressInfo).port;
      await new Promise((r) => srv.close(r));
      const r = await inCopas((c) => c.http.request(`http://127.0.0.1:${port}/`));
      expect(r).to.deep.equal([null, "connection refused"]);
    });

    it("bad urls: [null, err] as Copas", async () => {
      const r = await inCopas(function* (c) {
        return [
          yield* c.http.request("ftp://127.0.0.1/x"),
          yield* c.http.request("http:///x"),
          yield* c.http.request({ host: "", path: "/" }),
        ];
      });
      expect(r).to.deep.equal([
        [null, "unsupported scheme 'ftp'"],
        [null, "invalid host ''"],
        [null, "invalid host ''"],
      ]);
    });

    it("times out after http.TIMEOUT (60 s) of copas timeout, on a hand-driven clock", async () => {
      const clock = new ManualClock(1000);
      const copas = new Copas({ clock });
      let arrived!: () => void;
      const got = new Promise<void>((r) => (arrived = r));
      const { port } = await raw(() => arrived()); // never answers
      let result: unknown = "pending";
      const done = inCopas(function* (c) {
        result = yield* c.http.request(`http://127.0.0.1:${port}/`);
        return result;
      }, copas);
      await got;
      clock.advance(59.9);
      await new Promise((r) => setImmediate(r));
      expect(result).to.equal("pending");
      clock.advance(0.2);
      await done;
      expect(result).to.deep.equal([null, "timeout"]);
    });

    it("timeout as seconds or per phase", async () => {
      const clock = new ManualClock(0);
      const copas = new Copas({ clock });
      let arrived!: () => void;
      let got = new Promise<void>((r) => (arrived = r));
      const { port } = await raw(() => arrived());
      const results: unknown[] = [];
      const done = inCopas(function* (c) {
        results.push(yield* c.http.request({ url: `http://127.0.0.1:${port}/`, timeout: 2 }));
        results.push(yield* c.http.request({ url: `http://127.0.0.1:${port}/`, timeout: { receive: 5 } }));
      }, copas);
      await got;
      got = new Promise<void>((r) => (arrived = r));
      clock.advance(2);
      await got;
      clock.advance(4.9);
      await new Promise((r) => setImmediate(r));
      expect(results).to.have.length(1);
      clock.advance(0.1);
      await done;
      expect(results).to.deep.equal([
        [null, "timeout"],
        [null, "timeout"],
      ]);
    });

    it("bad arguments are TypeErrors naming the argument, at the call", () => {
      const c = new Copas();
      expect(() => c.http.request(5 as never)).to.throw(TypeError, /http\.request: bad argument 'reqt'/);
      expect(() => c.http.request("http://x/", 5 as never)).to.throw(TypeError, /http\.request: bad argument 'body'/);
      expect(() => c.http.request({ url: 5 as never })).to.throw(TypeError, /bad argument 'params\.url'/);
      expect(() => c.http.request({ url: "http://x/", sink: "no" as never })).to.throw(TypeError, /bad argument 'params\.sink'/);
      expect(() => c.http.request({ url: "http://x/", timeout: { conect: 1 } as never })).to.throw(
        TypeError,
        "'conect' is not a valid timeout option. Valid: 'connect', 'send', 'receive'",
      );
      expect(() => c.http.request({ url: "http://x/", maxredirects: "2" as never })).to.throw(TypeError, /params\.maxredirects/);
      expect(() => c.http.request({ url: "http://x/", headers: { "x-a": "1\r\nInjected: yes" } })).to.throw(TypeError, /params\.headers\["x-a"\]/);
      expect(() => c.http.request({ url: "http://x/", method: "GET / HTTP/1.1\r\n" })).to.throw(TypeError, /params\.method/);
    });
  });

  describe("on a simulated network", () => {
    /** A dispatcher on virtual time and a SimNetwork, serving `answer(requestHead)` on host:80. */
    async function simWorld(hosts: Record<string, (head: string) => string | null>, opts: { chunkSize?: number; latency?: number } = {}) {
      const clock = new ManualClock();
      clock.autoAdvance = true;
      const net = new SimNetwork({ clock, ...opts });
      const d = new Copas({ network: net });
      const servers: Parameters<Copas["removeserver"]>[0][] = [];
      for (const [host, answer] of Object.entries(hosts)) {
        const [server, err] = await net.socket.bind(host, 80);
        if (server === null) throw new Error(err);
        servers.push(server);
        d.addserver(
          server,
          d.handler(function* (skt: CopasSocket) {
            let head = "";
            for (;;) {
              const [line] = yield* skt.receive("*l");
              if (line === null) return;
              head += line + "\n";
              if (line === "") break;
            }
            const reply = answer(head);
            if (reply === null) {
              yield* d.pauseforever(); // never answers
              return;
            }
            yield* skt.send(reply);
          }),
        );
      }
      return { d, clock, stop: () => servers.forEach((s) => d.removeserver(s)) };
    }

    it("requests, follows a redirect to another host, one byte per delivery with latency", async () => {
      const heads: string[] = [];
      const { d, stop } = await simWorld(
        {
          web: (h) => (heads.push(h), "HTTP/1.1 302 Found\r\nLocation: http://cdn/file\r\nContent-Length: 0\r\n\r\n"),
          cdn: (h) => (heads.push(h), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        },
        { chunkSize: 1, latency: 0.01 },
      );
      let r: unknown;
      await run(d, function* () {
        r = yield* d.http.request("http://web/start");
        stop();
      });
      expect(r).to.deep.equal(["abc", 200, { "transfer-encoding": "chunked", location: "http://cdn/file" }, "HTTP/1.1 200 OK"]);
      expect(heads[0]).to.match(/^GET \/start HTTP\/1\.1\n/);
      expect(heads[0]).to.include("Host: web\n");
      expect(heads[1]).to.include("Host: cdn\n");
    });

    it("times out after http.TIMEOUT of virtual time; an unknown host is refused", async () => {
      const { d, clock, stop } = await simWorld({ slow: () => null });
      const out: unknown[] = [];
      await run(d, function* () {
        const t0 = d.gettime();
        out.push(yield* d.http.request("http://slow/"));
        out.push(d.gettime() - t0);
        out.push(yield* d.http.request("http://nobody/"));
        stop();
      });
      expect(out).to.deep.equal([[null, "timeout"], 60, [null, "connection refused"]]);
      expect(clock.now()).to.be.at.least(60);
    });
  });

  it("parseRequest and getcreatefunc, as Copas", () => {
    const c = new Copas();
    const p = c.http.parseRequest("http://x/", "a=1");
    expect(p.method).to.equal("POST");
    expect(p.headers).to.deep.equal({ "content-length": 3, "content-type": "application/x-www-form-urlencoded" });
    expect(p.target).to.deep.equal([]);
    expect(c.http.parseRequest("http://x/").method).to.equal(undefined);
    expect(c.http.getcreatefunc()).to.be.a("function");
  });
});

export type { HttpHeaders };
