#!/usr/bin/env node
// The consumer test: the package as a user gets it. Packs the repository (`npm pack`, which
// builds it), installs the tarball into a fresh temporary project (from the local file; its
// @types/node from the npm cache when there), and there:
//   1. checks that every relative link in README.md points at a file the tarball ships;
//   2. compiles main.ts (ESM) and cjs.cts (CommonJS, require of ESM) with "strict": true,
//      "skipLibCheck": false, module NodeNext, on the TypeScript we build with (the repository's)
//      and on the newest TypeScript major (`npm view typescript version`, installed there);
//   3. runs both with plain `node` (an echo round trip over copas/sim and one over 127.0.0.1
//      port 0), also with a foreign `--conditions=source` set, which must not pick up .ts files;
//   4. imports and requires the package with `node -e`, without compiling anything;
//   5. runs the package's command-line runner, `npx copas`, on code and on a TypeScript script
//      (with tsx installed in the project: the repository's, linked).
//
//   node test/consumer/run.mjs              # everything (about 30 s; needs the npm registry
//                                           # once for the newest TypeScript, cached after)
//   node test/consumer/run.mjs --no-latest  # only the TypeScript we build with (offline)
//   KEEP=1 node test/consumer/run.mjs       # keep the temporary project, print where it is
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const latest = !process.argv.includes("--no-latest");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const t0 = performance.now();
let failures = 0;
let passes = 0;

function log(msg) {
  console.log(`[consumer ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
}

/** Runs a command; returns { ok, out } with stdout and stderr together. */
function run(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...extraEnv }, timeout: 120_000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  return { ok: r.status === 0, out };
}

/** One named check: passes when `fn` returns nothing, fails with the message it throws. */
function check(name, fn) {
  try {
    fn();
    passes++;
    log(`ok   ${name}`);
  } catch (e) {
    failures++;
    log(`FAIL ${name}\n${String(e instanceof Error ? e.message : e).replace(/^/gm, "       ")}`);
  }
}

function mustRun(cmd, args, cwd, extraEnv) {
  const r = run(cmd, args, cwd, extraEnv);
  if (!r.ok) throw new Error(`${cmd} ${args.join(" ")}\n${r.out}`);
  return r.out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "copas-consumer-"));
const project = path.join(tmp, "project");
fs.mkdirSync(project);
try {
  // ---- pack ------------------------------------------------------------------------------
  log(`npm pack (builds dist/) into ${tmp}`);
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", tmp], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  const tarball = path.join(tmp, packed[0].filename);
  const shipped = new Set(packed[0].files.map((f) => f.path));
  log(`packed ${packed[0].filename}: ${shipped.size} files, ${(packed[0].size / 1024).toFixed(0)} KiB`);

  check("every relative link in README.md points at a shipped file", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const missing = [];
    for (const m of readme.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/i.test(target)) continue; // absolute URLs are checked by eye, not here
      const p = path.posix.normalize(target).replace(/\/$/, "");
      const isDir = [...shipped].some((f) => f.startsWith(p + "/"));
      if (!shipped.has(p) && !isDir) missing.push(target);
    }
    if (missing.length > 0) throw new Error(`not in the package: ${missing.join(", ")}`);
  });

  // ---- a fresh project ---------------------------------------------------------------------
  const typesNode = JSON.parse(fs.readFileSync(path.join(root, "node_modules/@types/node/package.json"), "utf8")).version;
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2));
  for (const f of ["main.ts", "cjs.cts", "runner.ts", "tsconfig.json"]) fs.copyFileSync(path.join(here, f), path.join(project, f));
  log(`npm install the tarball and @types/node@${typesNode} (prefer the npm cache)`);
  mustRun(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--save-dev", tarball, `@types/node@${typesNode}`], project);

  // ---- compile and run -----------------------------------------------------------------------
  const compilers = [["the TypeScript we build with", path.join(root, "node_modules/typescript/bin/tsc")]];
  if (latest) {
    const v = run(npm, ["view", "typescript", "version"], project);
    if (!v.ok) {
      check("find the newest TypeScript (npm view typescript version)", () => {
        throw new Error(`${v.out}\n(offline? --no-latest skips this compiler)`);
      });
    } else {
      const version = v.out.trim();
      const dir = path.join(tmp, "ts-latest");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "package.json"), "{}");
      log(`npm install typescript@${version}`);
      mustRun(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", `typescript@${version}`], dir);
      compilers.push([`the newest TypeScript (${version})`, path.join(dir, "node_modules/typescript/bin/tsc")]);
    }
  }
  for (const [name, tsc] of compilers) {
    const version = run(process.execPath, [tsc, "--version"], project).out.trim();
    fs.rmSync(path.join(project, "out"), { recursive: true, force: true });
    let compiled = false;
    check(`${name} (${version}) compiles main.ts and cjs.cts, strict, skipLibCheck false`, () => {
      mustRun(process.execPath, [tsc, "-p", "tsconfig.json"], project);
      compiled = true;
    });
    if (!compiled) continue;
    check(`  node out/main.js: echo over copas/sim and over 127.0.0.1`, () => {
      const out = mustRun(process.execPath, ["out/main.js"], project);
      if (!out.includes("consumer esm ok: hello sim at") || !out.includes("; hello tcp")) throw new Error(out);
    });
    check(`  node out/cjs.cjs: require() of the package`, () => {
      const out = mustRun(process.execPath, ["out/cjs.cjs"], project);
      if (!out.includes("consumer cjs ok")) throw new Error(out);
    });
  }

  // ---- plain node, nothing compiled ------------------------------------------------------------
  check("node --conditions=source: a foreign 'source' condition does not load .ts files", () => {
    if (!fs.existsSync(path.join(project, "out/main.js"))) throw new Error("nothing compiled to run");
    const out = mustRun(process.execPath, ["--conditions=source", "out/main.js"], project);
    if (!out.includes("consumer esm ok")) throw new Error(out);
  });
  const esm = `import copas, { Copas, socket } from "copas"; import s from "copas/socket"; import { ManualClock, SimNetwork } from "copas/sim";
    if (typeof copas !== "function" || !(copas instanceof Copas) || s !== socket || typeof ManualClock !== "function" || typeof SimNetwork !== "function") process.exit(1);
    console.log("import ok");`;
  check("node --input-type=module -e 'import copas ... from \"copas\"'", () => {
    const out = mustRun(process.execPath, ["--input-type=module", "-e", esm], project);
    if (!out.includes("import ok")) throw new Error(out);
  });
  const cjs = `const { default: copas, Copas, socket } = require("copas"); const s = require("copas/socket").default; const sim = require("copas/sim");
    if (typeof copas !== "function" || !(copas instanceof Copas) || s !== socket || typeof sim.ManualClock !== "function") process.exit(1);
    console.log("require ok");`;
  check(`node -e 'require("copas")' on Node ${process.versions.node}`, () => {
    const out = mustRun(process.execPath, ["-e", cjs], project);
    if (!out.includes("require ok")) throw new Error(out);
  });

  // ---- the command-line runner -------------------------------------------------------------------
  check("npx copas -e 'code'", () => {
    const out = mustRun(npm, ["exec", "--offline", "--", "copas", "-e", "console.log('runner', typeof copas.addthread, (yield* copas.pause(0)) >= 0)"], project);
    if (!out.includes("runner function true")) throw new Error(out);
  });
  check("npx copas runner.ts (TypeScript, through tsx)", () => {
    fs.symlinkSync(path.join(root, "node_modules/tsx"), path.join(project, "node_modules/tsx"), "dir");
    const out = mustRun(npm, ["exec", "--offline", "--", "copas", "runner.ts", "consumer"], project);
    if (!out.includes("runner ok consumer")) throw new Error(out);
  });
} catch (e) {
  failures++;
  log(`FAIL ${e instanceof Error ? e.message : String(e)}`);
} finally {
  if (process.env.KEEP) log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`consumer: ${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
