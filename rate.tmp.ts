(globalThis as any).describe = () => {}; 
const { explore } = await import("copas/testing");
const { scenario, faults } = await import("./examples/ledger-explore.spec.ts");
let fails = 0; const N = Number(process.argv[2] ?? 300); const t0 = performance.now();
let first = 1; const found: number[] = [];
while (first <= N) {
  const r = await explore({ seeds: N - first + 1, first, faults, shrink: false }, scenario(false));
  if (!r.failure) break;
  found.push(r.failure.seed); first = r.failure.seed + 1;
}
console.log(found.length, "failing of", N, found.slice(0, 20), ((performance.now()-t0)/1000).toFixed(2), "s");
