// SMTP header injection (issue 10, item 7): smtp.message refuses CR, LF or NUL in header names
// and values (a "Bcc:" line could be smuggled in), naming the header; the envelope commands
// (MAIL FROM, RCPT TO, EHLO) were already refused with a result tuple.

import { expect } from "chai";
import { Copas } from "copas";

describe("smtp: header injection", () => {
  const c = new Copas();

  it("a header value with CR, LF or NUL is a TypeError naming the header", () => {
    for (const bad of ["hi\r\nBcc: <evil@x>", "hi\nBcc: <evil@x>", "hi\rX", "hi\0"]) {
      expect(() => c.smtp.message({ headers: { subject: bad }, body: "x" }), JSON.stringify(bad)).to.throw(
        TypeError,
        /smtp\.message: bad argument 'mesgt\.headers\["subject"\]' \(expected a header value without CR, LF or NUL/,
      );
    }
  });

  it("a header name with CR, LF, NUL or ':' (or empty) is a TypeError naming it", () => {
    for (const bad of ["x-a\r\nBcc", "x-a\n", "x\0", "bcc: <evil@x>\r\nx", "a:b", ""]) {
      expect(() => c.smtp.message({ headers: { [bad]: "v" }, body: "x" }), JSON.stringify(bad)).to.throw(TypeError, /bad argument 'mesgt\.headers\[/);
    }
  });

  it("a header value that is not a string is a TypeError (it was sent as '[object Object]')", () => {
    expect(() => c.smtp.message({ headers: { subject: {} as never } })).to.throw(TypeError, /'mesgt\.headers\["subject"\]'/);
    expect(() => c.smtp.message({ headers: "x" as never })).to.throw(TypeError, /'mesgt\.headers'/);
  });

  it("the headers of a part of a multipart body are checked too, named by their path", () => {
    const mesgt = { headers: { subject: "ok" }, body: { parts: [{ body: "a" }, { headers: { "content-type": "text/plain\r\nBcc: <evil@x>" }, body: "b" }] } };
    expect(() => c.smtp.message(mesgt)).to.throw(TypeError, /'mesgt\.body\[1\]\.headers\["content-type"\]'/);
  });

  it("zone and smtp.USERAGENT, which go into headers, are checked too", () => {
    expect(() => c.smtp.message({ zone: "+0000\r\nBcc: <evil@x>" })).to.throw(TypeError, /'mesgt\.zone'/);
    const d = new Copas();
    d.smtp.USERAGENT = "me\r\nBcc: <evil@x>";
    expect(() => d.smtp.message({})).to.throw(TypeError, /'smtp\.USERAGENT'/);
  });

  it("folded-free headers with tabs and spaces still work", () => {
    const src = c.smtp.message({ headers: { subject: "a\tb c", date: "fixed" }, body: "x" });
    expect(src()).to.equal(`Subject: a\tb c\r\nDate: fixed\r\nX-Mailer: ${c.smtp.USERAGENT}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset="iso-8859-1"\r\n\r\n`);
  });

  it("smtp.send's other arguments: server, port, domain, user, password checked", () => {
    const m = { from: "<a@b>", rcpt: "<c@d>" };
    expect(() => c.smtp.send({ ...m, server: 5 } as never)).to.throw(TypeError, /'mailt\.server'/);
    expect(() => c.smtp.send({ ...m, port: -1 })).to.throw(TypeError, /'mailt\.port'/);
    expect(() => c.smtp.send({ ...m, port: NaN })).to.throw(TypeError, /'mailt\.port'/);
    expect(() => c.smtp.send({ ...m, domain: {} } as never)).to.throw(TypeError, /'mailt\.domain'/);
    expect(() => c.smtp.send({ ...m, user: 1, password: "x" } as never)).to.throw(TypeError, /'mailt\.user'/);
    expect(() => c.smtp.send({ ...m, user: "x", password: 1 } as never)).to.throw(TypeError, /'mailt\.password'/);
  });
});
