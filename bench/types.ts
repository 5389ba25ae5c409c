// The shape every benchmark suite shares. `npm run bench` (bench/run.ts) runs each module in
// bench/suites/ and prints one table. A suite measures itself and its plain-Node (or plain
// Promise) baseline in the same run, so each figure comes with a ratio.

/** One line of the benchmark table. */
export interface BenchRow {
  /** Which suite and scenario, e.g. "echo 50 conns". */
  name: string;
  /** Our figure. */
  value: number;
  /** Unit of `value` and `baseline`, e.g. "msgs/s", "switches/s", "s", "MB". */
  unit: string;
  /** The baseline's figure in the same run (plain Node / plain Promises), when there is one. */
  baseline?: number;
  /** What the baseline is, e.g. "node net". */
  baselineName?: string;
  /** Target as text, e.g. ">= 0.8x", ">= 3,000,000/s", "< 2 s". */
  target?: string;
  /** Whether the target was met (undefined: no target). */
  pass?: boolean;
  /** Extra detail, e.g. "p99 812 us (plain 790 us)". */
  note?: string;
  /** Other implementations' figures in the same run and unit (Lua Copas when installed). */
  others?: { name: string; value: number }[];
}

/** A module in bench/suites/ default-exports one of these. */
export interface BenchSuite {
  name: string;
  /** `quick`: a short run for smoke testing the suite (CI does not run benchmarks). */
  run(opts: { quick: boolean }): Promise<BenchRow[]>;
}
