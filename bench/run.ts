// `npm run bench`: runs every suite in bench/suites/ (each module default-exports a BenchSuite),
// prints one markdown table with the date and the machine, and writes it to bench/RESULTS.md.
//
//   npm run bench                      all suites, full length (a few minutes)
//   npm run bench -- --quick           a short smoke run of every suite
//   npm run bench -- --only echo,threads

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./proc.js";
import { formatTable, type SuiteRows } from "./table.js";
import type { BenchSuite } from "./types.js";

function parseArgs(argv: string[]): { quick: boolean; only: string[] | null } {
  let quick = false;
  let only: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--only") only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a.startsWith("--only=")) only = a.slice(7).split(",").filter(Boolean);
    else throw new Error(`bench: unknown argument ${a} (accepted: --quick, --only <suite[,suite]>)`);
  }
  return { quick, only };
}

function isSuite(v: unknown): v is BenchSuite {
  return typeof v === "object" && v !== null && typeof (v as BenchSuite).name === "string" && typeof (v as BenchSuite).run === "function";
}

const { quick, only } = parseArgs(process.argv.slice(2));
const dir = path.join(ROOT, "bench", "suites");
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .sort();
const names = files.map((f) => f.slice(0, -3));
if (only) {
  const unknown = only.filter((o) => !names.includes(o));
  if (unknown.length > 0) throw new Error(`bench: no suite ${unknown.join(", ")} (suites: ${names.join(", ")})`);
}

const results: SuiteRows[] = [];
for (const f of files) {
  const name = f.slice(0, -3);
  if (only && !only.includes(name)) continue;
  const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { default?: unknown };
  if (!isSuite(mod.default)) {
    results.push({ suite: name, rows: [], error: "does not default-export a BenchSuite" });
    continue;
  }
  process.stderr.write(`bench: ${name}${quick ? " (quick)" : ""}...\n`);
  try {
    results.push({ suite: mod.default.name, rows: await mod.default.run({ quick }) });
  } catch (e) {
    results.push({ suite: mod.default.name, rows: [], error: e instanceof Error ? e.message.split("\n")[0]! : String(e) });
  }
}

const cpus = os.cpus();
const header = [
  `Date: ${new Date().toISOString().replace("T", " ").slice(0, 16)} UTC` + (quick ? " (quick run: short, noisy)" : ""),
  `Machine: ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, ` +
    `${os.platform()} ${os.release()}, Node ${process.version}`,
];
const text = formatTable(header, results);
process.stdout.write(text);
fs.writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), text);
process.stderr.write("bench: written to bench/RESULTS.md\n");
// Suites leave nothing running, but a stray handle must not keep `npm run bench` alive.
process.exit(results.some((r) => r.error) ? 1 : 0);
