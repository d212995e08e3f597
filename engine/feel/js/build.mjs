// Builds engine/feel/dist/feel.js: feelin + our Camunda built-ins as one IIFE for mini-racer.
//
// feelin computes with IEEE doubles where Zeebe's FEEL computes with decimals, so `0.1 + 0.2 = 0.3`
// would be false. The plugin below rounds the result of each arithmetic operator to 15
// significant digits (what a double holds exactly), which makes such comparisons behave as
// in Zeebe for every number a double can carry. It edits feelin's pinned source at build time
// and fails the build if a pattern is not found exactly once, so a feelin upgrade cannot
// silently drop it.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";

const PATCHES = [
  ["return a + b;", "return __khcnDecimal(a + b);"],
  ["return a - b;", "return __khcnDecimal(a - b);"],
  ["(a, b) => a * b, 'multiply'", "(a, b) => __khcnDecimal(a * b), 'multiply'"],
  ["(a, b) => !b ? null : a / b, 'divide'", "(a, b) => !b ? null : __khcnDecimal(a / b), 'divide'"],
];

const HELPER =
  "const __khcnDecimal = (v) => (typeof v === 'number' && Number.isFinite(v) && " +
  "!Number.isInteger(v)) ? Number(v.toPrecision(15)) : v;\n";

const decimalArithmetic = {
  name: "khcn-decimal-arithmetic",
  setup(b) {
    b.onLoad({ filter: /feelin[\\/]dist[\\/]index\.js$/ }, async (args) => {
      let source = await readFile(args.path, "utf8");
      for (const [from, to] of PATCHES) {
        const count = source.split(from).length - 1;
        if (count !== 1) {
          throw new Error(`feelin patch: expected '${from}' once in ${args.path}, found ${count}`);
        }
        source = source.replace(from, to);
      }
      return { contents: HELPER + source, loader: "js" };
    });
  },
};

await build({
  entryPoints: ["engine/feel/js/entry.js"],
  bundle: true,
  format: "iife",
  globalName: "KhcnFeel",
  target: "es2020",
  logLevel: "warning",
  outfile: "engine/feel/dist/feel.js",
  plugins: [decimalArithmetic],
});
