// The oracle's harness: runs a scenario on Lua Copas (driver.lua, one process per scenario)
// and on the port (driver.ts, one long-lived host process), both against one scripted peer
// (peer.ts), and compares the outputs line by line. A difference is accepted only when
// differences.ts explains it.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Peer } from "./peer.js";
import { describeStep, findStep, number, toLua, type Scenario } from "./scenario.js";
import { explainOnly, explainPair, type Context } from "./differences.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");
const SCENARIO_TIMEOUT = 30_000;

/** Where Lua Copas is: $COPAS_ORACLE, else ../shared/oracle beside the repository. */
export function oracleDir(): string {
  return process.env.COPAS_ORACLE ? path.resolve(process.env.COPAS_ORACLE) : path.resolve(ROOT, "../shared/oracle");
}

/** Null when the oracle can run here, else why not. */
export function oracleMissing(): string | null {
  const dir = oracleDir();
  if (!existsSync(path.join(dir, "lua-copas"))) return `no Lua Copas at ${dir} (set COPAS_ORACLE)`;
  const r = spawnSync("lua5.4", ["-e", 'require "socket"'], { encoding: "utf8" });
  if (r.error || r.status !== 0) return "lua5.4 or LuaSocket missing";
  return null;
}

export interface Run {
  lines: string[];
  /** stderr, and how the run ended if not by END. */
  problem: string;
}

// ------------------------------------------------------------------------------------------
// The two sides
// ------------------------------------------------------------------------------------------

export async function runLua(s: Scenario, ctlPort: number): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), "oracle-"));
  const file = path.join(dir, "scenario.lua");
  writeFileSync(file, toLua(s), "latin1");
  const child = spawn(path.join(oracleDir(), "lua-copas"), ["lua5.4", path.join(HERE, "driver.lua"), file, String(ctlPort)]);
  let out = "";
  let err = "";
  child.stdout.setEncoding("latin1").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("latin1").on("data", (d: string) => (err += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, SCENARIO_TIMEOUT);
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
  const lines = out.split("\n").filter((l) => l !== "");
  let problem = err.trim();
  if (timedOut) problem += `${problem ? "\n" : ""}TIMEOUT after ${SCENARIO_TIMEOUT / 1000} s`;
  else if (code !== 0) problem += `${problem ? "\n" : ""}exit code ${code}`;
  return { lines, problem };
}

/** JSON has no Infinity or NaN: they travel as {"$num": ...} (driver.ts revives them). */
function encodeNumbers(_k: string, v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) return { $num: Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf" };
  return v;
}

/** The port's driver host: one process, scenarios one after another (restarted after a hang). */
export class PortHost {
  #child: ChildProcessWithoutNullStreams | null = null;
  #nextId = 1;
  #waiting = new Map<number, { lines: string[]; done: (r: Run) => void }>();
  #pending = "";
  #stderr = "";

  #start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, ["--conditions=copas-source", "--import", "tsx", path.join(HERE, "driver.ts")], { cwd: ROOT });
    child.stdout.setEncoding("latin1").on("data", (d: string) => {
      this.#pending += d;
      let nl: number;
      while ((nl = this.#pending.indexOf("\n")) >= 0) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        const tab = line.indexOf("\t");
        const w = this.#waiting.get(Number(line.slice(0, tab)));
        if (!w) continue;
        const text = line.slice(tab + 1);
        if (text === "END" || text.startsWith("CRASH ")) {
          if (text === "END") w.lines.push(text);
          this.#waiting.delete(Number(line.slice(0, tab)));
          const problem = (text === "END" ? "" : text) + (this.#stderr ? `\n${this.#stderr.trim()}` : "");
          this.#stderr = "";
          w.done({ lines: w.lines, problem: problem.trim() });
        } else w.lines.push(text);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (this.#stderr += d));
    child.on("close", () => {
      if (this.#child === child) this.#child = null;
      for (const [id, w] of this.#waiting) {
        this.#waiting.delete(id);
        w.done({ lines: w.lines, problem: `the port's driver process died\n${this.#stderr.trim()}` });
      }
    });
    return child;
  }

  run(s: Scenario, ctlPort: number): Promise<Run> {
    const child = (this.#child ??= this.#start());
    const id = this.#nextId++;
    return new Promise<Run>((resolve) => {
      const timer = setTimeout(() => {
        // A hang: the host is restarted for the next scenario.
        const w = this.#waiting.get(id);
        this.#waiting.delete(id);
        if (this.#child === child) this.#child = null;
        child.kill("SIGKILL");
        resolve({ lines: w?.lines ?? [], problem: `TIMEOUT after ${SCENARIO_TIMEOUT / 1000} s` });
      }, SCENARIO_TIMEOUT);
      this.#waiting.set(id, {
        lines: [],
        done: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      child.stdin.write(JSON.stringify({ id, port: ctlPort, scenario: s }, encodeNumbers) + "\n");
    });
  }

  stop(): void {
    this.#child?.stdin.end();
    this.#child = null;
  }
}

// ------------------------------------------------------------------------------------------
// Comparing
// ------------------------------------------------------------------------------------------

export interface Hunk {
  lua: string[];
  port: string[];
  /** The ids of the differences that explain it; empty: unexplained. */
  known: string[];
}

export interface Outcome {
  scenario: Scenario;
  lua: Run;
  port: Run;
  hunks: Hunk[];
  /** True if every hunk is explained and neither run had a problem. */
  ok: boolean;
}

/** Edit script of two line lists (LCS): runs of equal lines and hunks of differing ones. */
function diffLines(a: string[], b: string[]): Array<{ a: string[]; b: string[] }> {
  const n = a.length;
  const m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const hunks: Array<{ a: string[]; b: string[] }> = [];
  let cur: { a: string[]; b: string[] } | null = null;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      cur = null;
      i++;
      j++;
      continue;
    }
    cur ??= (hunks.push({ a: [], b: [] }), hunks[hunks.length - 1]!);
    if (j >= m || (i < n && L[i + 1]![j]! >= L[i]![j + 1]!)) cur.a.push(a[i++]!);
    else cur.b.push(b[j++]!);
  }
  return hunks;
}

const sidOf = (line: string) => line.split(" ", 1)[0]!;

/** Explains a hunk: pairs lines with the same sid, then single lines; ids used, or null. */
function explain(s: Scenario, h: { a: string[]; b: string[] }, ctx: Context): string[] | null {
  const used = new Set<string>();
  const b = [...h.b];
  for (const la of h.a) {
    const k = b.findIndex((lb) => sidOf(lb) === sidOf(la));
    const step = findStep(s, sidOf(la));
    if (k >= 0) {
      const d = explainPair(la, b[k]!, step, ctx);
      if (!d) return null;
      used.add(d.id);
      b.splice(k, 1);
    } else {
      const d = explainOnly("lua", la, step, ctx);
      if (!d) return null;
      used.add(d.id);
    }
  }
  for (const lb of b) {
    const d = explainOnly("port", lb, findStep(s, sidOf(lb)), ctx);
    if (!d) return null;
    used.add(d.id);
  }
  return [...used];
}

export function compare(s: Scenario, lua: Run, port: Run): Outcome {
  const ctx: Context = { scenario: s, lua: lua.lines, port: port.lines };
  const hunks = diffLines(lua.lines, port.lines).map((h) => ({ lua: h.a, port: h.b, known: explain(s, h, ctx) ?? [] }));
  const ok = !lua.problem && !port.problem && hunks.every((h) => h.known.length > 0);
  return { scenario: s, lua, port, hunks, ok };
}

/** A failure as text: the scenario, the unexplained hunks, and both outputs in full. */
export function report(o: Outcome): string {
  const s = o.scenario;
  const out: string[] = [`=== ${s.name}${s.about ? `: ${s.about}` : ""}`];
  if (o.lua.problem) out.push(`  Lua problem: ${o.lua.problem.replace(/\n/g, "\n    ")}`);
  if (o.port.problem) out.push(`  port problem: ${o.port.problem.replace(/\n/g, "\n    ")}`);
  for (const h of o.hunks) {
    if (h.known.length > 0) continue;
    const sid = sidOf(h.lua[0] ?? h.port[0] ?? "");
    const step = findStep(s, sid);
    out.push(`  differs at ${step ? `step ${sid}: ${describeStep(step)}` : sid}`);
    for (const l of h.lua) out.push(`    lua : ${l}`);
    for (const l of h.port) out.push(`    port: ${l}`);
  }
  const width = Math.max(20, ...o.lua.lines.map((l) => l.length));
  out.push("  full output (lua | port):");
  const n = Math.max(o.lua.lines.length, o.port.lines.length);
  for (let i = 0; i < n; i++) {
    const l = o.lua.lines[i] ?? "";
    const p = o.port.lines[i] ?? "";
    out.push(`    ${l === p ? " " : "!"} ${l.padEnd(Math.min(width, 70))} | ${p}`);
  }
  return out.join("\n");
}

// ------------------------------------------------------------------------------------------
// Running many
// ------------------------------------------------------------------------------------------

/** The port's driver in this process (no host to start: for the quick spec in npm test). */
export class InProcessHost {
  async run(s: Scenario, ctlPort: number): Promise<Run> {
    const { runScenario } = await import("./driver.js");
    const lines: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => (timer = setTimeout(() => r(`TIMEOUT after ${SCENARIO_TIMEOUT / 1000} s`), SCENARIO_TIMEOUT)));
    const problem = await Promise.race([
      runScenario(structuredClone(s), ctlPort, (l) => void lines.push(l)).then(
        () => "",
        (e: unknown) => `CRASH ${String((e as Error)?.stack ?? e)}`,
      ),
      timeout,
    ]);
    clearTimeout(timer);
    return { lines, problem };
  }

  stop(): void {}
}

export class Oracle {
  #peer = new Peer();
  #inProcess: boolean;

  /** `inProcess`: run the port's driver in this process rather than in host processes. */
  constructor(options: { inProcess?: boolean } = {}) {
    this.#inProcess = !!options.inProcess;
  }
  /** Idle port hosts: one per scenario running at once. */
  #hosts: Array<PortHost | InProcessHost> = [];
  #all: Array<PortHost | InProcessHost> = [];
  #ctl = 0;

  async start(): Promise<void> {
    this.#ctl = await this.#peer.start();
  }

  async run(s: Scenario): Promise<Outcome> {
    number(s);
    const host = this.#hosts.pop() ?? (this.#all.push(this.#inProcess ? new InProcessHost() : new PortHost()), this.#all[this.#all.length - 1]!);
    try {
      const [lua, port] = await Promise.all([runLua(s, this.#ctl), host.run(s, this.#ctl)]);
      return compare(s, lua, port);
    } finally {
      this.#hosts.push(host);
    }
  }

  async stop(): Promise<void> {
    for (const h of this.#all) h.stop();
    await this.#peer.stop();
  }
}
