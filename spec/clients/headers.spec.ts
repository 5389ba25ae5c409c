// Issue 9, item 14: header names as LuaSocket writes them (socket.headers.canonic): SMTP's
// "From:", "MIME-Version:", "Content-Type:" (the port wrote "from:", "mime-version:"), unknown
// names as given in lower case, at every level of a multipart message; HTTP request headers the
// same way ("x-mine:", not "X-Mine:"); and a chunked body's trailers dropped, as LuaSocket does.

import { expect } from "chai";
import net from "node:net";
import { Copas } from "copas";
import { ManualClock } from "copas/sim";
import { run } from "../helpers/run.js";

function drain(src: () => unknown): string {
  let out = "";
  for (let c = src(); typeof c === "string"; c = src()) out += c;
  return out;
}

describe("header names as LuaSocket writes them", () => {
  it("smtp.message: known names capitalized, others lower case, at every level", () => {
    const copas = new Copas({ clock: new ManualClock(0) });
    const text = drain(
      copas.smtp.message({
        headers: { FROM: "a@b", "Mime-Version": "2", "X-Custom": "1", "message-id": "<x@y>" },
        body: [{ headers: { "Content-Type": "text/html", "CONTENT-ID": "<c>" }, body: "<p/>" }],
      }),
    );
    const [head, rest] = [text.slice(0, text.indexOf("\r\n\r\n")), text.slice(text.indexOf("\r\n\r\n"))];
    const names = head.split("\r\n").map((l) => l.slice(0, l.indexOf(":"))).sort();
    expect(names).to.deep.equal(["Content-Type", "Date", "From", "MIME-Version", "Message-ID", "X-Mailer", "x-custom"]);
    expect(head).to.include("MIME-Version: 1.0\r\n"); // can't be overridden
    // the part: one Content-Type (the given one), names canonical
    expect(rest).to.include("\r\nContent-Type: text/html\r\nContent-ID: <c>\r\n\r\n<p/>");
    expect(rest.match(/content-type/gi)!.length).to.equal(1);
  });

  describe("http", () => {
    let server: net.Server;
    let port = 0;
    let request = "";
    before(async () => {
      server = net.createServer((s) => {
        let got = "";
        s.on("data", (d) => {
          got += d.toString("latin1");
          if (!got.includes("\r\n\r\n")) return;
          request = got;
          s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Head: 1\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: t\r\n\r\n");
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as net.AddressInfo).port;
    });
    after(() => server.close());

    it("writes request header names as LuaSocket, and drops a chunked body's trailers", async () => {
      const copas = new Copas();
      let r: unknown[] = [];
      await run(copas, function* () {
        r = yield* copas.http.request({ url: `http://127.0.0.1:${port}/x`, headers: { "X-Mine": "v", "content-md5": "m" } });
      });
      const names = request.split("\r\n\r\n")[0]!.split("\r\n").slice(1).map((l) => l.slice(0, l.indexOf(":"))).sort();
      expect(names).to.deep.equal(["Connection", "Content-MD5", "Host", "TE", "User-Agent", "x-mine"]);
      expect(r.slice(0, 3)).to.deep.equal([1, 200, { "transfer-encoding": "chunked", "x-head": "1" }]);
    });
  });
});
