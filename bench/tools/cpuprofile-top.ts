// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the top entries by self time, and the
// same time by where the code lives, as markdown tables.
//   node --import tsx bench/tools/cpuprofile-top.ts FILE.cpuprofile [N] [SKIP_SECONDS]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Markdown summary of the profile in `file`: the `top` entries by self time. `skip` seconds at
 * the start are left out (start-up: module loading and compiling).
 */
export function summarise(file: string, top = 25, skip = 0): string {
  const prof = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  // Self time per node from the sample timeline (timeDeltas[i + 1] is the gap after sample i).
  const self = new Map<number, number>();
  let t = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    if (t < skip * 1e6) continue;
    const id = prof.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0));
  }
  let total = 0;
  let idle = 0;
  const byFn = new Map<string, number>();
  const byWhere = new Map<string, number>();
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    total += t;
    if (f.functionName === "(idle)") {
      idle += t;
      continue;
    }
    const file = f.url.startsWith("file://") ? path.basename(fileURLToPath(f.url)) : f.url;
    const fn = `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + t);
    const where = f.url.startsWith("file://")
      ? file
      : f.url.startsWith("node:")
        ? "Node internals (JavaScript)"
        : f.functionName.startsWith("(")
          ? f.functionName
          : "native (C++ bindings: syscalls, string and buffer conversion)";
    byWhere.set(where, (byWhere.get(where) ?? 0) + t);
  }
  const busy = total - idle;
  const pct = (t: number) => ((t / busy) * 100).toFixed(1);
  const out = [
    `${path.basename(file)}${skip > 0 ? ` after its first ${skip.toFixed(1)} s` : ""}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${((busy / total) * 100).toFixed(0)}%)`,
    "",
    "| self % of busy | self ms | function |",
    "| ---: | ---: | --- |",
  ];
  for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    out.push(`| ${pct(t)} | ${(t / 1000).toFixed(0)} | ${k.replace(/\|/g, "\\|")} |`);
  }
  out.push("", "| self % of busy | where |", "| ---: | --- |");
  for (const [k, t] of [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`| ${pct(t)} | ${k} |`);
  return out.join("\n") + "\n";
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, n, skip] = process.argv.slice(2);
  if (!file) throw new Error("usage: cpuprofile-top.ts FILE.cpuprofile [N] [SKIP_SECONDS]");
  process.stdout.write(summarise(file, n === undefined ? 25 : Number(n), Number(skip ?? 0)));
}
