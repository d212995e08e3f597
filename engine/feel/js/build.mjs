// Builds engine/feel/dist/feel.js: feelin + our Camunda built-ins as one IIFE for mini-racer.
//
// feelin differs from Zeebe 8.5's FEEL (feel-scala) in a few places; the plugin below edits
// feelin's pinned source at build time to close those gaps, and fails the build if a pattern is
// not found exactly once, so a feelin upgrade cannot silently drop a fix. The helpers the
// patches call live in feelin-scope.js (spliced into feelin's module) and decimal.js:
//
// - numbers: feelin computes with IEEE doubles where Zeebe computes with decimals, so
//   `0.1 + 0.2 = 0.3` would be false. Arithmetic (+ - * / **) and the sums, means, products,
//   medians and standard deviations of the list built-ins compute on the decimals the doubles
//   spell (decimal.js), as BigDecimal does; medians sort numerically, modes come out sorted.
// - durations: `duration("P1D") * 5`, `duration("P5D") / 5`, `duration("P1Y") / duration("P1M")`
//   are defined in FEEL (Camunda's temporal expressions page) but null in feelin.
// - a date plus a duration stays a date (feelin turns `date + PT25H` into a date-time).
// - warnings worded as feel-scala words them: `[NOT_COMPARABLE] Can't compare 'null' with '5'`
//   for a comparison that has no answer, and `Can't multiply 'x' by 'y'` style wording for
//   arithmetic on the wrong types. Zeebe puts these warnings into incident messages.
// - string literals: `\'`, `\b` and `\f` are escapes, `\u269D` stays as written (feel-scala).
// - `@"13:30"` is a time, as any `@` literal that is no date, date-time or duration.
// - a function call as a list filter (`[1,2,3][even(item)]`) runs per item, not once.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const HERE = (name) => fileURLToPath(new URL(name, import.meta.url));

const PATCHES = [
  // numbers
  ["return a + b;", "return typeof a === 'number' ? __khcnDec.add(a, b) : a + b;"],
  ["return a - b;", "return __khcnDec.subtract(a, b);"],
  [
    "case '*': return nullable((a, b) => a * b, 'multiply', ['number']);",
    "case '*': return __khcnDurations('multiply', context, invalidType, " +
      "nullable((a, b) => __khcnDec.multiply(a, b), 'multiply', ['number']));",
  ],
  [
    "case '/': return nullable((a, b) => !b ? null : a / b, 'divide', ['number']);",
    "case '/': return __khcnDurations('divide', context, invalidType, " +
      "nullable((a, b) => __khcnDec.divide(a, b), 'divide', ['number']));",
  ],
  [
    "case '^': return nullable((a, b) => Math.pow(a, b), 'exponentiate', ['number']);",
    "case '^': return nullable((a, b) => __khcnDec.power(a, b), 'exponentiate', ['number']);",
  ],
  ["sum === null ? el : sum + el", "sum === null ? el : __khcnDec.add(sum, el)"],
  ["return s === null ? s : s / list.length;", "return s === null ? s : __khcnDec.divide(s, list.length);"],
  ["return result * n;", "return __khcnDec.multiply(result, n);"],
  ["const sorted = array.slice().sort();", "const sorted = array.slice().sort((a, b) => a - b);"],
  [
    "return (sorted[index] + sorted[index + 1]) / 2;",
    "return __khcnDec.divide(__khcnDec.add(sorted[index], sorted[index + 1]), 2);",
  ],
  [
    "function stddev(array) {",
    "function stddev(array) {\n    return __khcnDec.standardDeviation(array);\n}\nfunction feelinStddev(array) {",
  ],
  [
    "return sorted.filter(s => s[1] === sorted[0][1]).map(e => +e[0]);",
    "return sorted.filter(s => s[1] === sorted[0][1]).map(e => +e[0]).sort((a, b) => a - b);",
  ],
  // temporal values
  ["template: `Can't ${opName} {right} to {left}`,", "template: __khcnArithTemplate(opName),"],
  [
    "return new FeelDateTime(temporal.value.toPlainDateTime().add(d), 'UTC');",
    "return new FeelDate(temporal.value.toPlainDateTime().add(d).toPlainDate());",
  ],
  [
    "        if (!t) {\n            return invalidArguments('@\"{string}\" is not a valid temporal literal'",
    "        if (!t) {\n            t = parseTime(string);\n        }\n" +
      "        if (!t) {\n            return invalidArguments('@\"{string}\" is not a valid temporal literal'",
  ],
  // comparisons
  [
    "            const test = operator()(right);\n            return compareValue(test, left);",
    "            return __khcnCompare(() => compareValue(operator()(right), left), left, right, " +
      "(values) => interpreterContext.addWarning(node, 'NOT_COMPARABLE', " +
      "{ template: \"Can't compare {left} with {right}\", values }));",
  ],
  // string literals
  [
    "function parseString(str) {",
    "function parseString(str) {\n    return __khcnParseString(str);\n}\nfunction feelinParseString(str) {",
  ],
  // filters: mark function calls, run them per item
  ["case 'FunctionInvocation': return tag((context) => {", "case 'FunctionInvocation': return Object.assign(tag((context) => {"],
  [
    "            return resolveInvocation(result);\n        }, 'any');",
    "            return resolveInvocation(result);\n        }, 'any'), { khcnInvocation: true });",
  ],
  [
    "            if (FILTER_INDEX_TYPES.has(type)) {",
    "            if (filterFn.khcnInvocation) {\n" +
      "                return __khcnFilterByInvocation(filterTarget, filterFn, context);\n" +
      "            }\n            if (FILTER_INDEX_TYPES.has(type)) {",
  ],
];

// feelin internals entry.js needs (range functions compare points as feelin orders them)
const EXPORTS = "\nexport { toComparable as khcnToComparable };\n";

const feelinFixes = {
  name: "khcn-feelin-fixes",
  setup(b) {
    b.onLoad({ filter: /feelin[\\/]dist[\\/]index\.js$/ }, async (args) => {
      let source = await readFile(args.path, "utf8");
      for (const [from, to] of PATCHES) {
        const count = source.split(from).length - 1;
        if (count !== 1) {
          throw new Error(`feelin patch: expected '${from}' once in ${args.path}, found ${count}`);
        }
        source = source.replace(from, () => to);
      }
      const scope = await readFile(HERE("feelin-scope.js"), "utf8");
      const imports = `import * as __khcnDec from ${JSON.stringify(HERE("decimal.js"))};\n`;
      return { contents: imports + scope + source + EXPORTS, loader: "js" };
    });
  },
};

await build({
  entryPoints: [HERE("entry.js")],
  bundle: true,
  format: "iife",
  globalName: "KhcnFeel",
  target: "es2020",
  logLevel: "warning",
  outfile: HERE("../dist/feel.js"),
  plugins: [feelinFixes],
});
