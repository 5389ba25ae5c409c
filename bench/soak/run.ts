// `npm run soak`: the echo server (plain and TLS, bench/soak/server.ts) under a steady load
// (bench/soak/steady.ts) while faults come one after another (bench/soak/fault.ts): churn,
// slow readers, resets mid-line, huge lines, a 5,000-connection burst, garbage and stalled TLS
// handshakes. Each in its own processes, on loopback addresses, every loop bounded. Prints a
// table and exits non-zero when a check fails:
//   - every steady connection got echoes in every window (none starved), with no error;
//   - the server's handlers raised nothing;
//   - after each fault (and at the end, against the start): heap after gc within HEAP_TOL,
//     open descriptors within FD_TOL, RSS at the end within RSS_TOL;
//   - while a fault still runs: huge lines do not grow the heap past HUGE_HEAP_TOL and each is
//     cut off by the server; slow readers and stalled TLS handshakes are let go (their
//     descriptors freed) while their clients still hold on; the burst is served in full.
//
//   npm run soak                     the full run (about 4 minutes)
//   npm run soak -- --quick          a short run with small counts (checks the harness)
//   npm run soak -- --out FILE       also writes the table (markdown) to FILE

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Child, TS_NODE } from "../proc.js";

const MiB = 1024 * 1024;
/** Tolerances: what the server may keep after a fault, and at the end against the start. */
const HEAP_TOL = 16 * MiB;
const RSS_TOL = 128 * MiB;
const FD_TOL = 10;
/** Heap a fault may add while it runs: huge lines (each cut at the 1 MiB line bound). */
const HUGE_HEAP_TOL = 48 * MiB;

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outIdx = args.indexOf("--out");
const outFile = outIdx !== -1 ? args[outIdx + 1] : undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--quick") continue;
  if (args[i] === "--out") {
    i++;
    continue;
  }
  throw new Error(`soak: unknown argument ${args[i]} (accepted: --quick, --out FILE)`);
}

const SCALE = quick ? 0.1 : 1;
const PHASE = quick ? 4 : 20;
const SETTLE = quick ? 1 : 3;
const STEADY = quick ? 5 : 20;
/** Handshake limit the server is given (the default is 60 s, longer than a phase). */
const HANDSHAKE = quick ? 2 : 10;
/** The server's copas timeout per client, so a handler blocked on a non-reader gives up. */
const SEND_TIMEOUT = quick ? 1 : 5;

interface ServerStats {
  heap: number;
  rss: number;
  fds: number;
  conns: number;
  tlsConns: number;
  echoed: number;
  handlerErrors: number;
  handshakeFailures: number;
  receiveErrors: Record<string, number>;
}
interface Window {
  msgs: number;
  secs: number;
  p99us: number | null;
  errors: number;
  alive: number;
  starved: number;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const node = (file: string, a: string[], extra: string[] = []) => [process.execPath, [...extra, ...TS_NODE, path.join("bench", "soak", file), ...a]] as const;

async function stats(server: Child): Promise<ServerStats> {
  return JSON.parse(await server.ask("stats", "stats")) as ServerStats;
}

async function window(steady: Child): Promise<Window> {
  return JSON.parse(await steady.ask("window", "window")) as Window;
}

interface Row {
  phase: string;
  fault: Record<string, number>;
  w: Window;
  before: ServerStats;
  during: ServerStats;
  after: ServerStats;
  failures: string[];
}

const mb = (b: number) => (b / MiB).toFixed(1);

async function main(): Promise<number> {
  const load0 = os.loadavg();
  const [scmd, sargs] = node("server.ts", [], ["--expose-gc"]);
  const server = new Child("soak server", scmd, [...sargs], { SOAK_HANDSHAKE: String(HANDSHAKE), SOAK_SEND_TIMEOUT: String(SEND_TIMEOUT) });
  const [port, tlsPort] = (await server.out.expect("listening", "soak server")).split(" ").map(Number) as [number, number];
  const [ccmd, cargs] = node("steady.ts", [String(port), String(STEADY)]);
  const steady = new Child("steady", ccmd, [...cargs]);
  await steady.out.expect("started", "steady");
  const rows: Row[] = [];
  let failed = false;
  try {
    await sleep(SETTLE);
    await window(steady);
    const start = await stats(server);
    // The baseline: the steady load alone.
    {
      await sleep(PHASE / 2);
      const w = await window(steady);
      const s = await stats(server);
      rows.push({ phase: "steady only", fault: {}, w, before: start, during: s, after: s, failures: steadyFailures(w) });
    }
    for (const phase of ["churn", "slow", "reset", "huge", "burst", "tlsgarbage", "tlsstall"]) {
      const before = await stats(server);
      await window(steady);
      const [fcmd, fargs] = node("fault.ts", [phase, String(port), String(tlsPort), String(SCALE)]);
      const fault = new Child(phase, fcmd, [...fargs]);
      await fault.out.expect("started", phase);
      // Slow readers: the server's send timeout plus the close linger (10 s) must pass.
      await sleep(phase === "slow" ? PHASE + 5 : PHASE);
      const w = await window(steady);
      const during = await stats(server);
      fault.send("stop");
      const done = JSON.parse(await fault.out.expect("done", phase)) as Record<string, number>;
      await fault.exited;
      await sleep(SETTLE);
      const after = await stats(server);
      const row: Row = { phase, fault: done, w, before, during, after, failures: steadyFailures(w) };
      check(row);
      rows.push(row);
      process.stderr.write(`soak: ${phase} ${row.failures.length === 0 ? "ok" : row.failures.join("; ")}\n`);
    }
    const end = await stats(server);
    const total: string[] = [];
    if (end.heap - start.heap > HEAP_TOL) total.push(`heap grew ${mb(end.heap - start.heap)} MiB (tolerance ${mb(HEAP_TOL)})`);
    if (end.rss - start.rss > RSS_TOL) total.push(`RSS grew ${mb(end.rss - start.rss)} MiB (tolerance ${mb(RSS_TOL)})`);
    if (end.fds - start.fds > FD_TOL) total.push(`descriptors grew by ${end.fds - start.fds} (tolerance ${FD_TOL})`);
    if (end.handlerErrors > 0) total.push(`${end.handlerErrors} handler errors`);
    const table = render(rows, start, end, total, load0, os.loadavg());
    console.log(table);
    if (outFile) fs.writeFileSync(outFile, table + "\n");
    failed = total.length > 0 || rows.some((r) => r.failures.length > 0);
  } finally {
    steady.proc.stdin!.end();
    server.proc.stdin!.end();
    await Promise.all([steady.exited, server.exited]);
  }
  return failed ? 1 : 0;
}

function steadyFailures(w: Window): string[] {
  const f: string[] = [];
  if (w.starved > 0) f.push(`${w.starved} steady connections not served`);
  if (w.errors > 0) f.push(`${w.errors} steady errors`);
  return f;
}

function check(r: Row): void {
  const f = r.failures;
  if (r.after.handlerErrors > r.before.handlerErrors) f.push(`${r.after.handlerErrors - r.before.handlerErrors} handler errors`);
  if (r.after.heap - r.before.heap > HEAP_TOL) f.push(`heap kept ${mb(r.after.heap - r.before.heap)} MiB`);
  if (r.after.fds - r.before.fds > FD_TOL) f.push(`descriptors kept ${r.after.fds - r.before.fds}`);
  const n = r.fault;
  switch (r.phase) {
    case "huge":
      if (r.during.heap - r.before.heap > HUGE_HEAP_TOL) f.push(`huge lines held ${mb(r.during.heap - r.before.heap)} MiB of heap`);
      if (n.closedByServer! < n.ops!) f.push(`only ${n.closedByServer} of ${n.ops} huge lines cut off by the server`);
      break;
    case "slow":
      if (r.during.fds - r.before.fds > FD_TOL) f.push(`slow readers still hold ${r.during.fds - r.before.fds} descriptors`);
      break;
    case "tlsstall":
      if (r.during.fds - r.before.fds > FD_TOL) f.push(`stalled handshakes still hold ${r.during.fds - r.before.fds} descriptors`);
      if (n.closedByServer! < n.ops!) f.push(`only ${n.closedByServer} of ${n.ops} stalled handshakes dropped`);
      break;
    case "burst":
      if (n.ops! < Math.round(5000 * SCALE)) f.push(`burst: ${n.ops} of ${Math.round(5000 * SCALE)} served`);
      break;
    default:
      if (n.ops === 0) f.push("the fault did nothing");
  }
}

function render(rows: Row[], start: ServerStats, end: ServerStats, total: string[], load0: number[], load1: number[]): string {
  const lines: string[] = [];
  lines.push(`Soak ${quick ? "(quick) " : ""}${new Date().toISOString().slice(0, 16)}Z, node ${process.version}, ${os.cpus().length} cores, load average ${load0[0]!.toFixed(1)} at start, ${load1[0]!.toFixed(1)} at end`);
  lines.push(`Phases of ${PHASE} s (slow readers ${PHASE + 5} s), ${STEADY} steady connections (64-byte ping-pong); server handshake limit ${HANDSHAKE} s, copas send timeout ${SEND_TIMEOUT} s per client (receives: none).`);
  lines.push("");
  lines.push("| phase | fault | steady msgs/s | steady p99 | heap MiB before / during / after | RSS MiB before / after | fds before / during / after | errors | result |");
  lines.push("| --- | --- | ---: | ---: | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const f = r.fault;
    const what = r.phase === "steady only" ? "-" : Object.entries(f).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`).join(", ");
    const gaveUp = (r.after.receiveErrors["send timeout"] ?? 0) - (r.before.receiveErrors["send timeout"] ?? 0);
    const errs = `handler ${r.after.handlerErrors - r.before.handlerErrors}, steady ${r.w.errors}${gaveUp > 0 ? `, send timeouts ${gaveUp}` : ""}`;
    lines.push(
      `| ${r.phase} | ${what} | ${Math.round(r.w.msgs / r.w.secs)} | ${r.w.p99us === null ? "-" : (r.w.p99us / 1000).toFixed(1) + " ms"} | ${mb(r.before.heap)} / ${mb(r.during.heap)} / ${mb(r.after.heap)} | ${mb(r.before.rss)} / ${mb(r.after.rss)} | ${r.before.fds} / ${r.during.fds} / ${r.after.fds} | ${errs} | ${r.failures.length === 0 ? "ok" : "**" + r.failures.join("; ") + "**"} |`,
    );
  }
  lines.push("");
  lines.push(`Start to end: heap ${mb(start.heap)} → ${mb(end.heap)} MiB (tolerance +${mb(HEAP_TOL)}), RSS ${mb(start.rss)} → ${mb(end.rss)} MiB (tolerance +${mb(RSS_TOL)}), descriptors ${start.fds} → ${end.fds} (tolerance +${FD_TOL}); ${end.handshakeFailures} TLS handshakes failed (garbage), receive errors: ${JSON.stringify(end.receiveErrors)}.`);
  const bad = rows.filter((r) => r.failures.length > 0).map((r) => r.phase);
  lines.push(total.length === 0 && bad.length === 0 ? "Result: **pass**" : `Result: **FAIL**: ${[...total, ...(bad.length > 0 ? [`phases ${bad.join(", ")}`] : [])].join("; ")}`);
  return lines.join("\n");
}

process.exitCode = await main();
