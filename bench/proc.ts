// Child processes for the benchmarks: servers and load clients, pinned to a core with taskset
// when the machine has it, talking to the parent in lines on stdin/stdout.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Node arguments that run a TypeScript file of this repo (as the npm scripts do). */
export const TS_NODE = ["--conditions=copas-source", "--import", "tsx"];

let tasksetOk: boolean | null = null;

/** True when `taskset` exists and there are at least two cores to split between processes. */
export function canPin(): boolean {
  if (tasksetOk === null) {
    tasksetOk = os.cpus().length >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  }
  return tasksetOk;
}

/** The server's core and the load client's core, when pinning. */
export const SERVER_CORE = 0;
export const CLIENT_CORE = 1;

/** `cmd args` prefixed with `taskset -c core` when pinning is possible. */
export function pinned(core: number | null, cmd: string, args: string[]): [string, string[]] {
  if (core === null || !canPin()) return [cmd, args];
  return ["taskset", ["-c", String(core), cmd, ...args]];
}

/** File descriptors a benchmark child may open: enough for 10,000 connections and then some. */
export const FD_LIMIT = 16_384;

/**
 * `cmd args` run with the soft limit of open files raised to `n` (or to the hard limit when that
 * is lower), through `sh -c 'ulimit -n'`; `exec` keeps the child's pid, so /proc figures are its own.
 */
export function withFdLimit(n: number, cmd: string, args: string[]): [string, string[]] {
  const script = 'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  return ["sh", ["-c", script, String(n), cmd, ...args]];
}

/**
 * CPU seconds (user + system) used so far by process `pid`, all its threads, from /proc:
 * the sum of /proc/<pid>/task/<tid>/schedstat (nanoseconds), else /proc/<pid>/stat (clock
 * ticks). Null where there is no /proc.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread ended between the listing and the read: its time is gone with it.
      }
    }
    if (ns > 0) return ns / 1e9;
  } catch {
    // No schedstat: try stat.
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name; USER_HZ is 100 on Linux.
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * A file of the shared folder next to the repository (`../shared/<rel>` from the root, or one
 * or two levels further up), unless the environment variable `env` names it; null when absent.
 */
export function findShared(rel: string, env: string): string | null {
  const e = process.env[env];
  if (e) return fs.existsSync(e) ? e : null;
  let dir = ROOT;
  for (let up = 0; up < 3; up++) {
    const f = path.join(dir, "..", "shared", rel);
    if (fs.existsSync(f)) return f;
    dir = path.dirname(dir);
  }
  return null;
}

/** Reads a child's stdout line by line. */
export class LineReader {
  #buf = "";
  #lines: string[] = [];
  #waiters: ((l: string | null) => void)[] = [];
  #ended = false;

  constructor(s: NodeJS.ReadableStream) {
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      this.#buf += d;
      for (let i = this.#buf.indexOf("\n"); i !== -1; i = this.#buf.indexOf("\n")) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        const w = this.#waiters.shift();
        if (w) w(l);
        else this.#lines.push(l);
      }
    });
    s.on("end", () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(null);
    });
  }

  /** The next line, or null once the stream ended. */
  next(): Promise<string | null> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next line starting with `prefix` (other lines are skipped); throws at the end. */
  async expect(prefix: string, what: string): Promise<string> {
    for (;;) {
      const l = await this.next();
      if (l === null) throw new Error(`${what}: ended before printing "${prefix}"`);
      if (l.startsWith(prefix)) return l.slice(prefix.length).trim();
    }
  }
}

/** A child process with line I/O. */
export class Child {
  readonly proc: ChildProcess;
  readonly out: LineReader;
  readonly name: string;
  #stderr = "";
  readonly exited: Promise<number | null>;

  constructor(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
    this.name = name;
    this.proc = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stderr!.on("data", (d) => {
      if (this.#stderr.length < 4000) this.#stderr += d;
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
    this.out = new LineReader(this.proc.stdout!);
  }

  /** What the child wrote on stderr (the first few KB). */
  get stderr(): string {
    return this.#stderr;
  }

  send(line: string): void {
    this.proc.stdin!.write(line + "\n");
  }

  /** Sends a command and gives the value of the answer line `<prefix> value`. */
  ask(cmd: string, prefix: string): Promise<string> {
    this.send(cmd);
    return this.out.expect(prefix, this.name);
  }

  /** Ends the child (SIGTERM to this child's own pid) and waits for it. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGTERM");
    await this.exited;
  }
}

/**
 * Starts a benchmark server (bench/servers/<file>) on the server core (`core`; null: not pinned);
 * resolves once it printed `listening <port>`.
 */
export async function startServer(file: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}, core: number | null = SERVER_CORE): Promise<{ child: Child; port: number }> {
  const [cmd, args] = withFdLimit(FD_LIMIT, ...pinned(core, process.execPath, [...nodeArgs, ...TS_NODE, path.join("bench", "servers", file)]));
  const child = new Child(file, cmd, args, { PORT: "0", ...env });
  try {
    const port = Number(await child.out.expect("listening", file));
    return { child, port };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${child.stderr}`);
  }
}
