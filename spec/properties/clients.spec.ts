// Properties of the clients' arguments (see harness.ts): ltn12, http, smtp, ftp. Requests go
// to hosts of a SimNetwork where nothing listens, so an accepted call ends in a result tuple.

import { property, namesArg, any, clean, isFn, isNil, isNum, isPort, isStr, optFn, tuple, type Case, type World } from "./harness.js";

/** An object used as a table: a plain one, or one without a prototype. */
const plainObject = (v: unknown): boolean => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const p: unknown = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};
const optClean = (v: unknown): boolean => isNil(v) || clean(v);
const optData = (v: unknown): boolean => isNil(v) || typeof v === "string" || v instanceof Uint8Array;
const optStrOrList = (v: unknown): boolean => isNil(v) || isStr(v) || (Array.isArray(v) && v.every(isStr));
const headerValue = (v: unknown): boolean => clean(v) || (isNum(v) && Number.isFinite(v));
const headerName = (k: string): boolean => k !== "" && !/[\r\n\0:]/.test(k);
const headersOk = (v: unknown): boolean => isNil(v) || (plainObject(v) && Object.entries(v as object).every(([k, x]) => headerName(k) && headerValue(x)));
const optPort = (v: unknown): boolean => isNil(v) || isPort(v);
const bound = (min: number) => (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= min;

/** Sets a module setting for one call, then puts it back. */
function withSetting<M extends object>(mod: M, key: string, v: unknown, call: () => unknown): unknown {
  const m = mod as Record<string, unknown>;
  const saved = m[key];
  m[key] = v;
  try {
    return call();
  } finally {
    m[key] = saved;
  }
}

const HTTP = "http://x/";

const httpKeys: [string, (v: unknown) => boolean][] = [
  ["url", optClean],
  ["method", optClean],
  ["uri", optClean],
  ["scheme", optClean],
  ["host", optClean],
  ["path", optClean],
  ["params", optClean],
  ["query", optClean],
  ["authority", optClean],
  ["user", optClean],
  ["password", optClean],
  ["proxy", optClean],
  ["fragment", optClean],
  ["port", optPort],
  ["headers", headersOk],
  ["source", (v) => isNil(v) || isFn(v)],
  ["sink", (v) => isNil(v) || isFn(v)],
  ["create", (v) => isNil(v) || isFn(v)],
  ["redirect", (v) => isNil(v) || typeof v === "boolean" || v === "all"],
  ["maxredirects", (v) => isNil(v) || v === false || (isNum(v) && v >= 0 && (Number.isInteger(v) || v === Infinity))],
  ["timeout", (v) => isNil(v) || isNum(v) || (plainObject(v) && Object.entries(v as object).every(([k, x]) => ["connect", "send", "receive"].includes(k) && (isNil(x) || isNum(x))))],
  ["verify", optStrOrList],
  ["options", optStrOrList],
  ["protocol", (v) => isNil(v) || isStr(v)],
  ["cafile", (v) => isNil(v) || isStr(v)],
  ["certificate", (v) => isNil(v) || isStr(v)],
  ["key", (v) => isNil(v) || isStr(v)],
  ["sslparams", (v) => isNil(v) || plainObject(v)],
];

const smtpKeys: [string, (v: unknown) => boolean][] = [
  ["from", isStr],
  ["rcpt", (v) => isStr(v) || (Array.isArray(v) && v.every(isStr))],
  ["source", (v) => isNil(v) || isFn(v)],
  ["create", (v) => isNil(v) || isFn(v)],
  ["server", (v) => isNil(v) || isStr(v)],
  ["port", optPort],
  ["domain", (v) => isNil(v) || isStr(v)],
  ["user", (v) => isNil(v) || isStr(v)],
  ["password", (v) => isNil(v) || isStr(v)],
];

const ftpKeys: [string, (v: unknown) => boolean][] = [
  ["url", optClean],
  ["host", optClean],
  ["path", optClean],
  ["argument", optClean],
  ["command", optClean],
  ["type", optClean],
  ["user", optClean],
  ["password", optClean],
  ["port", optPort],
  ["sink", optFn],
  ["source", optFn],
  ["create", optFn],
  ["check", (v) => isNil(v) || isStr(v) || (isNum(v) && Number.isInteger(v)) || (Array.isArray(v) && v.every((x) => isStr(x) || (isNum(x) && Number.isInteger(x))))],
];

const cases: Case[] = [
  // ltn12
  { name: "ltn12.source.string", arg: "s", valid: optData, call: (w, v) => w.copas.ltn12.source.string(v as never) },
  { name: "ltn12.sink.table", arg: "t", valid: (v) => isNil(v) || Array.isArray(v), call: (w, v) => w.copas.ltn12.sink.table(v as never) },
  { name: "ltn12.pump.step", arg: "src", valid: isFn, call: (w, v) => w.copas.ltn12.pump.step(v as never, () => 1) },
  { name: "ltn12.pump.step", arg: "snk", valid: isFn, call: (w, v) => w.copas.ltn12.pump.step(() => null, v as never) },
  // A sink that stops at once: a source that never ends would pump for ever (as LTN12).
  { name: "ltn12.pump.all", arg: "src", valid: isFn, call: (w, v) => w.copas.ltn12.pump.all(v as never, () => [null, "stop"]) },
  { name: "ltn12.pump.all", arg: "snk", valid: isFn, call: (w, v) => w.copas.ltn12.pump.all(() => null, v as never) },
  {
    name: "ltn12.pump.all",
    arg: "step",
    valid: optFn,
    // A step function giving something else than a step's result: a TypeError naming it.
    documented: (_v, e) => namesArg(e, "step"),
    call: (w, v) => w.copas.ltn12.pump.all(() => null, () => 1, v as never),
  },

  // http
  { name: "http.request", arg: "reqt", alsoNamed: ["url"], valid: (v) => clean(v) || plainObject(v), call: (w, v) => w.copas.http.request(v as never), result: tuple },
  { name: "http.request", arg: "body", valid: optData, call: (w, v) => w.copas.http.request(HTTP, v as never), result: tuple },
  ...httpKeys.map(
    ([k, valid]): Case => ({
      name: "http.request",
      arg: `params.${k}`,
      valid,
      // A function as source/sink/create runs: anything it gives is the request's business.
      call: (w, v) => w.copas.http.request({ url: HTTP, [k]: v }),
      // create giving something that is not a socket: a TypeError naming it, when it is called;
      // an unknown timeout key: Copas's own TypeError ("'x' is not a valid timeout option. Valid: ...").
      documented: (_v, e) => namesArg(e, `params.${k}`) || (k === "timeout" && e instanceof TypeError && e.message.includes("is not a valid timeout option")),
      result: tuple,
    }),
  ),
  ...(
    [
      ["MAXLINE", bound(1)],
      ["MAXHEADERSIZE", bound(1)],
      ["MAXINTERIM", bound(0)],
      ["MAXBODYSIZE", (v: unknown) => bound(0)(v) || v === Infinity],
      ["TIMEOUT", (v: unknown) => isNil(v) || (isNum(v) && v >= 0)],
      ["USERAGENT", clean],
    ] as const
  ).map(
    ([k, valid]): Case => ({
      name: "http.request",
      arg: `http.${k}`,
      valid,
      call: (w, v) => withSetting(w.copas.http, k, v, () => w.copas.http.request(HTTP)),
      result: tuple,
    }),
  ),

  // smtp
  { name: "smtp.send", arg: "mailt", valid: () => false, call: (w, v) => w.copas.smtp.send(v as never) },
  ...smtpKeys.map(
    ([k, valid]): Case => ({
      name: "smtp.send",
      arg: `mailt.${k}`,
      valid,
      call: (w, v) => w.copas.smtp.send({ from: "<a@b>", rcpt: "<c@d>", server: "mx", [k]: v }),
      documented: (_v, e) => namesArg(e, `mailt.${k}`),
      result: tuple,
    }),
  ),
  ...(
    [
      ["MAXLINE", bound(1)],
      ["MAXREPLYSIZE", bound(1)],
      ["SERVER", isStr],
      ["PORT", isPort],
      ["DOMAIN", isStr],
      ["TIMEOUT", (v: unknown) => isNil(v) || (isNum(v) && v >= 0)],
    ] as const
  ).map(
    ([k, valid]): Case => ({
      name: "smtp.send",
      arg: `smtp.${k}`,
      valid,
      call: (w, v) => withSetting(w.copas.smtp, k, v, () => w.copas.smtp.send({ from: "<a@b>", rcpt: "<c@d>" })),
      result: tuple,
    }),
  ),
  { name: "smtp.message", arg: "mesgt", valid: (v) => plainObject(v) && Object.keys(v as object).every((k) => !["headers", "body", "zone"].includes(k)), call: (w, v) => w.copas.smtp.message(v as never) },
  { name: "smtp.message", arg: "mesgt.headers", valid: headersOk, call: (w, v) => w.copas.smtp.message({ headers: v as never }) },
  {
    name: "smtp.message",
    arg: "mesgt.body",
    valid: (v) => isNil(v) || isStr(v) || isFn(v) || (Array.isArray(v) && v.length === 0),
    call: (w, v) => w.copas.smtp.message({ body: v as never }),
  },
  { name: "smtp.message", arg: "mesgt.zone", valid: optClean, call: (w, v) => w.copas.smtp.message({ zone: v as never }) },
  { name: "smtp.message", arg: "smtp.USERAGENT", valid: clean, call: (w, v) => withSetting(w.copas.smtp, "USERAGENT", v, () => w.copas.smtp.message({})) },

  // ftp
  { name: "ftp.get", arg: "params", alsoNamed: ["url"], valid: (v) => clean(v) || plainObject(v), call: (w, v) => w.copas.ftp.get(v as never), result: tuple },
  { name: "ftp.put", arg: "body", valid: (v) => isNil(v) || isStr(v), call: (w, v) => w.copas.ftp.put("ftp://h/f", v as never), result: tuple },
  ...ftpKeys.flatMap(([k, valid]): Case[] => [
    { name: "ftp.get", arg: `params.${k}`, valid, call: (w, v) => w.copas.ftp.get({ host: "h", [k]: v } as never), documented: (_v, e) => namesArg(e, `params.${k}`), result: tuple },
    {
      name: "ftp.command",
      arg: `params.${k}`,
      valid: k === "command" ? clean : valid,
      call: (w, v) => w.copas.ftp.command({ host: "h", command: "noop", [k]: v }),
      documented: (_v, e) => namesArg(e, `params.${k}`),
      result: tuple,
    },
  ]),
  ...(
    [
      ["MAXLINE", bound(1)],
      ["MAXREPLYSIZE", bound(1)],
      ["MAXBODYSIZE", (v: unknown) => bound(0)(v) || v === Infinity],
      ["PORT", isPort],
      ["USER", clean],
      ["PASSWORD", clean],
      ["TIMEOUT", (v: unknown) => isNil(v) || (isNum(v) && v >= 0)],
    ] as const
  ).map(
    ([k, valid]): Case => ({
      name: "ftp.get",
      arg: `ftp.${k}`,
      valid,
      call: (w, v) => withSetting(w.copas.ftp, k, v, () => w.copas.ftp.get("ftp://h/f")),
      result: tuple,
    }),
  ),
];

describe("properties: clients' bad arguments", function () {
  this.timeout(120000);
  for (const c of cases) property(c);
});

export type { World };
void any;
