// The walls of lib/ (README, "How the code is laid out"), checked on the real import graph:
// every lib/**/*.ts is parsed with the TypeScript compiler, its run-time imports are resolved to
// files, and the rules below are checked on that graph. A failure names the chain of imports.
//
// What counts as a run-time edge:
// - `import ... from`, `import "x"`, `export ... from`: yes, unless the whole declaration is
//   `import type` / `export type`.
// - `import { type A } from "x"` (every name inline-`type`): yes. Under `verbatimModuleSyntax`
//   (tsconfig.json) tsc and tsx both keep it as `import {} from "x"`, which loads x. The lint rule
//   `no-import-type-side-effects` turns these into `import type`.
// - `import("x")`: a lazy edge. A lazily loaded module is not loaded by loading the importer, so
//   the "what gets loaded" rules (socket/, sim/, the package entries) do not follow it; the heart's
//   rule and the cycle rule do (the heart may not know a wing even lazily). Lazy edges are listed
//   in the test titles below.
// - `import("x").T` in a type: no.

import { expect } from "chai";
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LIB = "lib/";

/** Members of the dispatcher that only lib/core/ may touch (the kernel interface replaces them). */
const KERNEL_MEMBERS = new Set([
  "_self", "_current", "_clock", "_stepTime", "_opBegin", "_opEnd", "_block", "_sleep", "_fair",
  "_report", "_raw", "_ready", "_debug", "_tls", "_trace", "_kernel",
]);

interface Edge {
  to: string;
  lazy: boolean;
  line: number;
}

interface Module {
  id: string;
  edges: Edge[];
  /** Problems found while reading the file (an import that resolves nowhere, ...). */
  errors: string[];
  /** `.name` accesses of KERNEL_MEMBERS, as "name (line N)". */
  kernelUses: string[];
}

function readCompilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, "tsconfig.json");
  const cfg = ts.readConfigFile(file, (f) => ts.sys.readFile(f));
  if (cfg.error) throw new Error(ts.flattenDiagnosticMessageText(cfg.error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(cfg.config, ts.sys, ROOT).options;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir + e.name;
    if (e.isDirectory()) out.push(...listTs(rel + "/"));
    else if (/\.[mc]?ts$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out.sort();
}

const BUILTINS = new Set(builtinModules);

/** The module id an import specifier names, seen from `from`: a repo path, "node:x" or the bare name. */
function resolve(from: string, spec: string): string | null {
  if (spec.startsWith("node:")) return spec;
  if (BUILTINS.has(spec) || BUILTINS.has(spec.split("/")[0]!)) return "node:" + spec;
  if (!spec.startsWith(".")) return spec;
  const base = path.posix.join(path.posix.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts").replace(/\.cjs$/, ".cts"), base, base + ".ts", base + "/index.ts"];
  for (const c of candidates) {
    const abs = path.join(ROOT, c);
    if (fs.existsSync(abs) && fs.statSync(abs).isFile()) return c;
  }
  return null;
}

function parse(id: string, text: string, inlineTypeOnlyLoads: boolean): Module {
  const sf = ts.createSourceFile(id, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const m: Module = { id, edges: [], errors: [], kernelUses: [] };
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;

  const add = (spec: ts.Expression | undefined, lazy: boolean, at: ts.Node) => {
    if (spec === undefined || !ts.isStringLiteralLike(spec)) {
      m.errors.push(`${id}:${lineOf(at)}: an import whose module is not a string literal cannot be checked`);
      return;
    }
    const to = resolve(id, spec.text);
    if (to === null) m.errors.push(`${id}:${lineOf(at)}: "${spec.text}" resolves to no file`);
    else m.edges.push({ to, lazy, line: lineOf(at) });
  };

  const use = (s: string) => {
    if (!m.kernelUses.includes(s)) m.kernelUses.push(s);
  };

  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      let runtime = c === undefined || !c.isTypeOnly;
      if (runtime && c !== undefined && !inlineTypeOnlyLoads && c.name === undefined) {
        // Without verbatimModuleSyntax an import of inline-`type` names only is erased.
        const b = c.namedBindings;
        if (b !== undefined && ts.isNamedImports(b) && b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly)) runtime = false;
      }
      if (runtime) add(n.moduleSpecifier, false, n);
    } else if (ts.isExportDeclaration(n)) {
      if (n.moduleSpecifier !== undefined) {
        let runtime = !n.isTypeOnly;
        const c = n.exportClause;
        if (runtime && !inlineTypeOnlyLoads && c !== undefined && ts.isNamedExports(c) && c.elements.length > 0 && c.elements.every((e) => e.isTypeOnly)) runtime = false;
        if (runtime) add(n.moduleSpecifier, false, n);
      }
    } else if (ts.isImportEqualsDeclaration(n)) {
      if (!n.isTypeOnly && ts.isExternalModuleReference(n.moduleReference)) add(n.moduleReference.expression, false, n);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(n.arguments[0], true, n);
    } else if (ts.isPropertyAccessExpression(n) && KERNEL_MEMBERS.has(n.name.text)) {
      use(`.${n.name.text} (line ${lineOf(n.name)})`);
    } else if (ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression) && KERNEL_MEMBERS.has(n.argumentExpression.text)) {
      use(`["${n.argumentExpression.text}"] (line ${lineOf(n)})`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return m;
}

function buildGraph(): Graph {
  const opts = readCompilerOptions();
  const inlineTypeOnlyLoads = opts.verbatimModuleSyntax === true;
  const g = new Map<string, Module>();
  for (const id of listTs(LIB)) g.set(id, parse(id, fs.readFileSync(path.join(ROOT, id), "utf8"), inlineTypeOnlyLoads));
  return g;
}

type Graph = Map<string, Module>;

const graph: Graph = buildGraph();

const under = (dir: string) => (id: string) => id.startsWith(dir);
const isNode = (id: string) => id.startsWith("node:");

function edgesOf(g: Graph, id: string, followLazy: boolean): Edge[] {
  const m = g.get(id);
  if (m === undefined) return [];
  return followLazy ? m.edges : m.edges.filter((e) => !e.lazy);
}

/**
 * Shortest import chains from `start` to each module that `bad` matches (one per match), not
 * going past a bad module.
 */
function reach(g: Graph, start: string, bad: (id: string) => boolean, followLazy: boolean): string[][] {
  const prev = new Map<string, { from: string; lazy: boolean } | null>([[start, null]]);
  const queue = [start];
  const found: string[] = [];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const e of edgesOf(g, id, followLazy)) {
      if (prev.has(e.to)) continue;
      prev.set(e.to, { from: id, lazy: e.lazy });
      if (bad(e.to)) found.push(e.to);
      else queue.push(e.to);
    }
  }
  return found.map((target) => {
    const p: string[] = [];
    for (let at: string | undefined = target; at !== undefined; ) {
      const s = prev.get(at);
      p.unshift(s?.lazy ? `import()-> ${at}` : at);
      at = s?.from;
    }
    return p;
  });
}

function chain(p: string[]): string {
  return p.map((s, i) => (i === 0 ? s : s.startsWith("import()-> ") ? " -" + s : " -> " + s)).join("");
}

/**
 * Violations of "nothing in `scope` reaches `bad`": one line per chain, leaving out chains that
 * pass through another module of the scope (that module's own line shows the way).
 */
function walls(g: Graph, scope: (id: string) => boolean, bad: (id: string) => boolean, followLazy: boolean): string[] {
  const out: string[] = [];
  for (const id of g.keys()) {
    if (!scope(id)) continue;
    for (const p of reach(g, id, bad, followLazy)) {
      if (p.slice(1, -1).some((s) => scope(s.replace(/^import\(\)-> /, "")))) continue;
      out.push(chain(p));
    }
  }
  return out;
}

/** What loading `entry` loads (static imports, transitively), matched by `bad`, with the chain. */
function loads(g: Graph, entry: string, bad: (id: string) => boolean): string[] {
  return reach(g, entry, bad, false).map(chain);
}

/** Import cycles (strongly connected components of more than one module, or a self-import). */
function cycles(g: Graph, followLazy: boolean): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const e of edgesOf(g, v, followLazy)) {
      if (!g.has(e.to)) continue;
      if (!idx.has(e.to)) {
        strong(e.to);
        low.set(v, Math.min(low.get(v)!, low.get(e.to)!));
      } else if (on.has(e.to)) {
        low.set(v, Math.min(low.get(v)!, idx.get(e.to)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || edgesOf(g, v, followLazy).some((e) => e.to === v)) sccs.push(c.sort());
    }
  };
  for (const id of g.keys()) if (!idx.has(id)) strong(id);
  // Each component: its size, and one shortest circle through its first module.
  return sccs.map((c) => `${c.length} modules in a circle (${c.join(", ")}); e.g. ${circle(g, c, followLazy)}`);
}

/** A shortest chain from the first module of the component `c` back to itself, inside `c`. */
function circle(g: Graph, c: string[], followLazy: boolean): string {
  const start = c[0]!;
  const inC = new Set(c);
  const prev = new Map<string, { from: string; lazy: boolean }>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const e of edgesOf(g, id, followLazy)) {
      if (!inC.has(e.to)) continue;
      if (e.to === start) {
        const steps = [{ id: start, lazy: e.lazy }];
        for (let at = id; at !== start; at = prev.get(at)!.from) steps.unshift({ id: at, lazy: prev.get(at)!.lazy });
        steps.unshift({ id: start, lazy: false });
        return chain(steps.map((s) => (s.lazy ? `import()-> ${s.id}` : s.id)));
      }
      if (prev.has(e.to)) continue;
      prev.set(e.to, { from: id, lazy: e.lazy });
      queue.push(e.to);
    }
  }
  return `${start} -> ${start}`;
}

function report(title: string, lines: string[]): string {
  return `${title}:\n  ${lines.join("\n  ")}`;
}

/** All violations, by rule; also used to print the list (WALLS_REPORT=1). */
function violations(g: Graph): Record<string, string[]> {
  const core = under("lib/core/");
  const wing = (id: string) => ["lib/sync/", "lib/clients/", "lib/debug/"].some((d) => id.startsWith(d));
  return {
    "imports that resolve to no file": [...g.values()].flatMap((m) => m.errors),
    "lib/ importing the barrel lib/index.ts": [...g.values()].flatMap((m) =>
      m.edges.filter((e) => e.to === "lib/index.ts").map((e) => `${m.id}:${e.line}${e.lazy ? " (import())" : ""} -> lib/index.ts`),
    ),
    "lib/socket/ reaching node:* or lib/core/": walls(g, under("lib/socket/"), (id) => isNode(id) || core(id), false),
    "lib/sim/ reaching node:* or lib/core/": walls(g, under("lib/sim/"), (id) => isNode(id) || core(id), false),
    "lib/core/ reaching lib/sync/, lib/clients/, lib/node/ or lib/debug/": walls(
      g,
      core,
      (id) => wing(id) || id.startsWith("lib/node/"),
      true,
    ),
    "dispatcher internals used outside lib/core/": [...g.values()]
      .filter((m) => !core(m.id) && m.kernelUses.length > 0)
      .map((m) => `${m.id}: ${m.kernelUses.join(", ")}`),
    "import cycles in lib/": cycles(g, true),
    "copas/socket (lib/socket-entry.ts) loading the dispatcher or a wing": loads(
      g,
      "lib/socket-entry.ts",
      (id) => id === "lib/core/dispatcher.ts" || wing(id),
    ),
    "copas/sim (lib/sim/index.ts) loading the dispatcher, a wing, node:net, node:dgram or node:tls": loads(
      g,
      "lib/sim/index.ts",
      (id) => id === "lib/core/dispatcher.ts" || wing(id) || ["node:net", "node:dgram", "node:tls"].includes(id),
    ),
  };
}

describe("architecture: the walls of lib/", () => {
  const v = violations(graph);

  describe("the checker itself", () => {
    const probe = (src: string) =>
      parse("lib/probe.ts", src, readCompilerOptions().verbatimModuleSyntax === true).edges.map((e) => `${e.lazy ? "lazy " : ""}${e.to}`);

    it("reads the import graph of lib/: every import resolves, the three entries are there", () => {
      expect(graph.size).to.be.greaterThan(20);
      for (const entry of ["lib/index.ts", "lib/socket-entry.ts", "lib/sim/index.ts"]) expect(graph.has(entry), entry).to.equal(true);
      const unresolved = v["imports that resolve to no file"]!;
      expect(unresolved, report("unresolved", unresolved)).to.deep.equal([]);
    });

    it("counts what loads at run time: not type-only imports, but inline-type-only ones (verbatimModuleSyntax)", () => {
      expect(probe(`import type { A } from "./index.js"; export type { B } from "./index.js"; type C = import("./index.js").C;`)).to.deep.equal([]);
      expect(
        probe(`import { type A } from "./socket-entry.js"; import "node:fs"; import net from "net"; export * from "./callable.js"; const m = () => import("./sim/index.js");`),
      ).to.deep.equal(["lib/socket-entry.ts", "node:fs", "node:net", "lib/callable.ts", "lazy lib/sim/index.ts"]);
    });

    it("finds kernel members as member accesses only", () => {
      const m = parse("lib/probe.ts", `const _self = 1; d._self.x; d["_block"](); o.self; const o2 = { _opBegin: 1 };`, true);
      expect(m.kernelUses).to.deep.equal(["._self (line 1)", '["_block"] (line 1)']);
    });

    it("catches each kind of violation on a made-up graph, and lets lazy edges cross", () => {
      const mod = (id: string, ...to: string[]): [string, Module] => [
        id,
        { id, errors: [], kernelUses: [], edges: to.map((t) => ({ to: t.replace(/^lazy /, ""), lazy: t.startsWith("lazy "), line: 1 })) },
      ];
      const g: Graph = new Map([
        mod("lib/index.ts", "lib/core/dispatcher.ts"),
        mod("lib/socket-entry.ts", "lib/socket/tcp.ts", "lazy lib/core/dispatcher.ts"),
        mod("lib/socket/tcp.ts", "lib/socket/udp.ts"),
        mod("lib/socket/udp.ts", "lib/common/check.ts"),
        mod("lib/common/check.ts", "node:util"),
        mod("lib/sim/index.ts", "lazy node:tls", "lib/sync/lock.ts"),
        mod("lib/core/dispatcher.ts", "lazy lib/sync/lock.ts"),
        mod("lib/sync/lock.ts", "lib/core/dispatcher.ts", "lib/index.ts"),
        mod("lib/clients/a.ts", "lib/clients/b.ts"),
        mod("lib/clients/b.ts", "lazy lib/clients/c.ts"),
        mod("lib/clients/c.ts", "lib/clients/a.ts"),
      ]);
      const got = violations(g);
      expect(got["lib/ importing the barrel lib/index.ts"]).to.deep.equal(["lib/sync/lock.ts:1 -> lib/index.ts"]);
      // udp.ts is the socket module whose import leaves the wall; tcp.ts only goes through it.
      expect(got["lib/socket/ reaching node:* or lib/core/"]).to.deep.equal(["lib/socket/udp.ts -> lib/common/check.ts -> node:util"]);
      expect(got["lib/sim/ reaching node:* or lib/core/"]).to.deep.equal(["lib/sim/index.ts -> lib/sync/lock.ts -> lib/core/dispatcher.ts"]);
      expect(got["lib/core/ reaching lib/sync/, lib/clients/, lib/node/ or lib/debug/"]).to.deep.equal([
        "lib/core/dispatcher.ts -import()-> lib/sync/lock.ts",
      ]);
      expect(got["import cycles in lib/"]).to.deep.equal([
        "3 modules in a circle (lib/core/dispatcher.ts, lib/index.ts, lib/sync/lock.ts); e.g. lib/core/dispatcher.ts -import()-> lib/sync/lock.ts -> lib/core/dispatcher.ts",
        "3 modules in a circle (lib/clients/a.ts, lib/clients/b.ts, lib/clients/c.ts); e.g. lib/clients/a.ts -> lib/clients/b.ts -import()-> lib/clients/c.ts -> lib/clients/a.ts",
      ]);
      expect(got["copas/socket (lib/socket-entry.ts) loading the dispatcher or a wing"]).to.deep.equal([]);
      expect(got["copas/sim (lib/sim/index.ts) loading the dispatcher, a wing, node:net, node:dgram or node:tls"]).to.deep.equal([
        "lib/sim/index.ts -> lib/sync/lock.ts",
      ]);
    });
  });

  describe("lazy import() edges (not loaded with their importer)", () => {
    const lazy = [...graph.values()].flatMap((m) => m.edges.filter((e) => e.lazy).map((e) => [`${m.id}:${e.line} -> ${e.to}`, e.to] as const));
    if (lazy.length === 0) it("(none)", () => {});
    for (const [l, to] of lazy) it(l, () => expect(graph.has(to) || to.startsWith("node:"), `${l}: not a module of lib/ or node`).to.equal(true));
  });

  for (const [rule, lines] of Object.entries(v)) {
    if (rule === "imports that resolve to no file") continue;
    it(`no ${rule}`, () => {
      expect(lines, report(rule, lines)).to.deep.equal([]);
    });
  }
});

// `WALLS_REPORT=1 npx mocha spec/architecture.spec.ts` prints every violation, rule by rule.
if (process.env.WALLS_REPORT) {
  for (const [rule, lines] of Object.entries(violations(graph))) {
    process.stdout.write(`${rule}: ${lines.length === 0 ? "none" : ""}\n${lines.map((l) => `  ${l}\n`).join("")}`);
  }
}
