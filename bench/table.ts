// The markdown table `npm run bench` prints and writes to bench/RESULTS.md.
import type { BenchRow } from "./types.js";

/** A suite's rows, or why it failed. */
export interface SuiteRows {
  suite: string;
  rows: BenchRow[];
  error?: string;
}

/** 1234567 -> "1,234,567"; small numbers keep three significant digits. */
export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "";
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(3)).toString();
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

export function formatTable(header: string[], results: SuiteRows[]): string {
  const out = ["# Benchmark results", "", ...header.map((h) => h + "  "), ""];
  // The column of other implementations (Lua Copas) only when some row has one.
  const others = results.some((r) => r.rows.some((row) => row.others !== undefined && row.others.length > 0));
  out.push(`| suite | benchmark | copas | baseline | ratio | target | met |${others ? " others (ratio to baseline) |" : ""} notes |`);
  out.push(`| --- | --- | ---: | ---: | ---: | --- | --- |${others ? " --- |" : ""} --- |`);
  for (const r of results) {
    if (r.error !== undefined) {
      out.push(`| ${cell(r.suite)} | (failed) | | | | | no |${others ? " |" : ""} ${cell(r.error)} |`);
      continue;
    }
    for (const row of r.rows) {
      const base = row.baseline !== undefined ? `${fmt(row.baseline)} ${row.unit}` + (row.baselineName ? ` (${row.baselineName})` : "") : "";
      const ratio = row.baseline !== undefined && row.baseline !== 0 ? `${(row.value / row.baseline).toFixed(2)}x` : "";
      const met = row.pass === undefined ? "" : row.pass ? "yes" : "**no**";
      const other = others
        ? ` ${cell(
            (row.others ?? [])
              .map((o) => `${o.name} ${fmt(o.value)}` + (row.baseline ? ` (${(o.value / row.baseline).toFixed(2)}x)` : ""))
              .join("; "),
          )} |`
        : "";
      out.push(
        `| ${cell(r.suite)} | ${cell(row.name)} | ${fmt(row.value)} ${row.unit} | ${cell(base)} | ${ratio} | ${cell(row.target ?? "")} | ${met} |${other} ${cell(row.note ?? "")} |`,
      );
    }
  }
  out.push("");
  return out.join("\n");
}
