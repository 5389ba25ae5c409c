#!/usr/bin/env node
// `npm run docs`: the API reference, markdown from the JSDoc into docs/api/ (TypeDoc with
// typedoc-plugin-markdown; typedoc.json treats every warning, an undocumented member included,
// as an error). Then checks what TypeDoc cannot: every function, method and accessor of the
// "copas" and "copas/socket" modules names its Lua counterpart with a @lua tag ("(none: ...)"
// where there is none). copas/sim is this port's own and has no Lua counterpart.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "copas-docs-")), "api.json");
const r = spawnSync(process.execPath, ["node_modules/typedoc/bin/typedoc", "--json", json], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);

const api = JSON.parse(fs.readFileSync(json, "utf8"));
fs.rmSync(path.dirname(json), { recursive: true, force: true });
const KIND = { Module: 2, Function: 64, Class: 128, Interface: 256, Constructor: 512, Method: 2048, Accessor: 262144 };
const missing = [];
const hasLua = (c) => (c?.blockTags ?? []).some((t) => t.tag === "@lua");
function visit(node, where) {
  for (const c of node.children ?? []) {
    const name = `${where}.${c.name}`;
    if (c.inheritedFrom || c.flags?.isPrivate) continue;
    if (c.kind === KIND.Class || c.kind === KIND.Interface) visit(c, name);
    else if (c.kind === KIND.Method || c.kind === KIND.Function || c.kind === KIND.Constructor) {
      if (c.kind === KIND.Constructor && (c.signatures ?? []).every((s) => s.flags?.isPrivate)) continue;
      if (!(c.signatures ?? []).some((s) => hasLua(s.comment)) && !hasLua(c.comment)) missing.push(name);
    } else if (c.kind === KIND.Accessor) {
      if (!hasLua(c.getSignature?.comment) && !hasLua(c.comment)) missing.push(name);
    }
  }
}
for (const m of api.children ?? []) if (m.kind === KIND.Module && m.name !== "copas/sim") visit(m, m.name);
if (missing.length > 0) {
  console.error(`docs: ${missing.length} public members without a @lua tag (their Lua counterpart):\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log("docs: docs/api/ written; every public member of copas and copas/socket names its Lua counterpart");
