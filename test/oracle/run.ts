// npm run test:oracle [-- options]: the differential tier. Runs the deterministic scenarios
// (scenarios.ts) on Lua Copas 4.11 and on the port and compares them; with --seed, also seeded
// random ones (random.ts).
//
//   --seed N --count M   M random scenarios from seed N (N, N+1, ... one seed per scenario)
//   --random-only        skip the deterministic list
//   --only TEXT          only scenarios whose name contains TEXT
//   --jobs J             scenarios run at once (default 2)
//   --verbose            print every scenario's outcome
//   --show               print both outputs of every scenario
//   --summary            after the run, the unexplained differences grouped by kind, with counts
//   --quiet              do not print each differing scenario (with --summary)
//   --list               print the known differences (differences.ts) and exit
//
// Exit code 0 when every difference is a known one, 1 otherwise, 2 when Lua is missing.

import { DIFFERENCES } from "./differences.js";
import { Oracle, oracleMissing, report, type Outcome } from "./harness.js";
import { SCENARIOS } from "./scenarios.js";
import { randomScenario } from "./random.js";
import { findStep, type Scenario } from "./scenario.js";

/** A line's result with its data abstracted: strings -> S, counts -> N (for --summary). */
function shape(line: string | undefined): string {
  if (line === undefined) return "(nothing)";
  const rest = line.slice(line.indexOf(" ") + 1);
  return rest
    .replace(/"(?:[^"\\]|\\.)*"|<\d+ bytes fnv=[0-9a-f]+>/g, (q) => (q === '""' || q === '"closed"' || q === '"timeout"' ? q : "S"))
    .replace(/\b\d+\b/g, "N")
    .replace(/TypeError: .*/, "TypeError ...");
}

/** The kind of an unexplained hunk: the step's op and pattern, and both results' shapes. */
function kinds(o: Outcome): string[] {
  const out: string[] = [];
  for (const h of o.hunks) {
    if (h.known.length > 0) continue;
    const n = Math.max(h.lua.length, h.port.length);
    for (let i = 0; i < n; i++) {
      const l = h.lua[i];
      const p = h.port[i];
      const sid = (l ?? p ?? "").split(" ", 1)[0]!;
      const st = findStep(o.scenario, sid);
      const what = st ? `${st.op}${st.pattern !== undefined ? ` ${typeof st.pattern === "number" ? (st.pattern === 0 ? "0" : "n") : st.pattern}` : ""}` : sid.replace(/\d+/g, "N");
      if (shape(l) !== shape(p)) out.push(`${what}: lua ${shape(l)} | port ${shape(p)}`);
    }
  }
  return out;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

async function main(): Promise<number> {
  if (flag("--list")) {
    for (const d of DIFFERENCES) console.log(`${d.id}\n  ${d.reason}\n`);
    return 0;
  }
  const missing = oracleMissing();
  if (missing) {
    console.error(`oracle: cannot run: ${missing}`);
    return 2;
  }
  const only = option("--only");
  const jobs = Math.max(1, Number(option("--jobs") ?? 2));
  const verbose = flag("--verbose");
  const summary = flag("--summary");
  const quiet = flag("--quiet");
  const byKind = new Map<string, string[]>();
  const list: Array<() => Scenario> = [];
  if (!flag("--random-only")) for (const s of SCENARIOS) list.push(() => structuredClone(s));
  const seedText = option("--seed");
  if (seedText !== undefined) {
    const seed = Number(seedText);
    const count = Number(option("--count") ?? 100);
    for (let k = 0; k < count; k++) list.push(() => randomScenario(seed + k));
  }
  const chosen = list.map((f) => f()).filter((s) => !only || s.name.includes(only));

  const oracle = new Oracle();
  await oracle.start();
  const failures: Outcome[] = [];
  const known = new Map<string, number>();
  let done = 0;
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (next < chosen.length) {
      const s = chosen[next++]!;
      const o = await oracle.run(s);
      done++;
      for (const h of o.hunks) for (const id of h.known) known.set(id, (known.get(id) ?? 0) + 1);
      if (!o.ok) {
        failures.push(o);
        if (!quiet) console.log(report(o) + "\n");
        for (const k of new Set(kinds(o))) byKind.set(k, [...(byKind.get(k) ?? []), s.name]);
      } else if (flag("--show")) {
        console.log(report(o) + "\n");
      } else if (verbose) {
        const ids = [...new Set(o.hunks.flatMap((h) => h.known))];
        console.log(`ok   ${s.name}${ids.length ? ` (known: ${ids.join(", ")})` : ""}`);
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  await oracle.stop();

  if (summary && byKind.size) {
    console.log("oracle: unexplained differences by kind (count, first scenarios):");
    for (const [k, names] of [...byKind].sort((a, b) => b[1].length - a[1].length)) {
      console.log(`  ${String(names.length).padStart(4)}  ${k}   [${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""}]`);
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`oracle: ${done} scenarios in ${secs} s, ${done - failures.length} agree, ${failures.length} differ`);
  if (known.size) console.log(`oracle: known differences seen: ${[...known].map(([k, n]) => `${k} (${n})`).join(", ")}`);
  if (failures.length) console.log(`oracle: differing: ${failures.map((o) => o.scenario.name).join(", ")}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
