// ESLint 9 (flat config) with typescript-eslint's type-aware recommended rules, over lib/,
// spec/, examples/ and bench/ (`npm run lint`, part of `npm test`). Rules are tuned only where
// they fight a deliberate choice of the code base; each such choice is named below.
// `npm run lint` caches results per file (.eslintcache): a type-aware rule whose verdict on an
// unchanged file depends on a changed one can be stale locally; CI starts without a cache.
// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "docs/", "node_modules/"] },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Threads and ops are generator functions by contract (`copas.addthread(function* () {...})`,
      // `yield* op`), also when a body happens to finish without yielding: Lua Copas takes any
      // function as a coroutine body, and a handler that yields later must not change its type.
      "require-yield": "off",
      // `_name` marks a parameter a signature requires but the body does not use (a Watcher's
      // `_ready(skt, dir)`, a Network stub): LuaSocket's and Node's call shapes are kept as they are.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // `(...args: any[]) => unknown` is the one way to accept any function in a generic
      // constraint (`ThreadFn`, `future.addthread<F extends ...>`): `unknown[]` parameters would
      // refuse every handler with typed parameters. Other `any`s stay errors.
      "@typescript-eslint/no-explicit-any": ["error", { ignoreRestArgs: true }],
      // Under verbatimModuleSyntax `import { type A } from "x"` still loads x at run time
      // (spec/architecture.spec.ts counts it as an edge): write `import type` instead.
      "@typescript-eslint/no-import-type-side-effects": "error",
      // Control characters in patterns are the point where input is checked for them (no CR,
      // LF or NUL from callers onto protocol lines; latin1 checks).
      "no-control-regex": "off",
    },
  },
  {
    // Type-level tests: values are declared, and expressions written, for the compiler to
    // check their types (`typeof`, `@ts-expect-error`); they are never used.
    files: ["spec/types.spec.ts"],
    rules: { "@typescript-eslint/no-unused-vars": "off", "@typescript-eslint/no-unused-expressions": "off" },
  },
  {
    files: ["**/*.cjs"],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", process: "readonly" },
    },
  },
);
