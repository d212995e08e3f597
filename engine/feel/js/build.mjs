// Builds engine/feel/dist/feel.js: feelin + our Camunda built-ins as one IIFE for mini-racer.
//
// feelin differs from Zeebe 8.5's FEEL (feel-scala 1.18) in a few places; the plugin below edits
// feelin's pinned source at build time to close those gaps, and fails the build if a pattern is
// not found exactly once, so a feelin upgrade cannot silently drop a fix:
//
// - numbers: feelin computes with IEEE doubles where Zeebe computes with decimals, so
//   `0.1 + 0.2 = 0.3` would be false. Each arithmetic result is rounded to 15 significant
//   digits (what a double holds exactly).
// - durations: `duration("P1D") * 5`, `duration("P5D") / 5`, `duration("P1Y") / duration("P1M")`
//   are defined in FEEL (Camunda's temporal expressions page) but null in feelin.
// - a date plus a duration stays a date (feelin turns `date + PT25H` into a date-time).
// - warnings worded as feel-scala words them: `[NOT_COMPARABLE] Can't compare 'null' with '5'`
//   for a comparison that has no answer, and `Can't multiply 'x' by 'y'` style wording for
//   arithmetic on the wrong types. Zeebe puts these warnings into incident messages.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";

const PATCHES = [
  ["return a + b;", "return __khcnDecimal(a + b);"],
  ["return a - b;", "return __khcnDecimal(a - b);"],
  [
    "case '*': return nullable((a, b) => a * b, 'multiply', ['number']);",
    "case '*': return __khcnDurations('multiply', context, invalidType, " +
      "nullable((a, b) => __khcnDecimal(a * b), 'multiply', ['number']));",
  ],
  [
    "case '/': return nullable((a, b) => !b ? null : a / b, 'divide', ['number']);",
    "case '/': return __khcnDurations('divide', context, invalidType, " +
      "nullable((a, b) => !b ? null : __khcnDecimal(a / b), 'divide', ['number']));",
  ],
  ["template: `Can't ${opName} {right} to {left}`,", "template: __khcnArithTemplate(opName),"],
  [
    "return new FeelDateTime(temporal.value.toPlainDateTime().add(d), 'UTC');",
    "return new FeelDate(temporal.value.toPlainDateTime().add(d).toPlainDate());",
  ],
  [
    "            const test = operator()(right);\n            return compareValue(test, left);",
    "            return __khcnCompare(() => compareValue(operator()(right), left), left, right, " +
      "(values) => interpreterContext.addWarning(node, 'NOT_COMPARABLE', " +
      "{ template: \"Can't compare {left} with {right}\", values }));",
  ],
];

// Prepended to feelin's module: it may use the module's own Temporal and FeelDuration.
const HELPER = `
const __khcnDecimal = (v) => (typeof v === 'number' && Number.isFinite(v) &&
  !Number.isInteger(v)) ? Number(v.toPrecision(15)) : v;

const __khcnArithTemplate = (op) => ({
  add: "Can't add {right} to {left}",
  subtract: "Can't subtract {right} from {left}",
  multiply: "Can't multiply {left} by {right}",
  divide: "Can't divide {left} by {right}",
}[op] || \`Can't \${op} {left} and {right}\`);

// A comparison without an answer (null, or values of different types) is null with a warning,
// as in feel-scala; feelin throws for an ordering of booleans.
const __khcnCompare = (run, left, right, warn) => {
  let result;
  try {
    result = run();
  } catch (error) {
    if (!(error instanceof Error) || !/^unsupported range/.test(error.message)) {
      throw error;
    }
    result = null;
  }
  if (result === null || result === undefined) {
    warn({ left, right });
    return null;
  }
  return result;
};

const __khcnMonths = (d) => d.value.years * 12 + d.value.months;
const __khcnMillis = (d) => {
  const v = d.value;
  return v.days * 86400000 + v.hours * 3600000 + v.minutes * 60000 + v.seconds * 1000
    + v.milliseconds + v.microseconds / 1000 + v.nanoseconds / 1000000;
};
const __khcnYearsMonths = (months) =>
  new FeelDuration(Temporal.Duration.from({ months }), true);
const __khcnDaysTime = (millis) =>
  new FeelDuration(Temporal.Duration.from({ milliseconds: millis }), false);
const __khcnIsNumber = (v) => typeof v === 'number' && Number.isFinite(v);

// Duration * number, number * duration, duration / number and duration / duration, with
// feel-scala 1.18's rules: factors are truncated to whole numbers, a years-and-months result is
// whole months, a days-and-time quotient of two durations is whole (long division of millis).
// undefined: no duration involved, the number path decides; null: not defined (a warning).
function __khcnDurationOp(op, left, right) {
  const leftDuration = left instanceof FeelDuration;
  const rightDuration = right instanceof FeelDuration;
  if (!leftDuration && !rightDuration) {
    return undefined;
  }
  if (op === 'multiply') {
    const [d, n] = leftDuration ? [left, right] : [right, left];
    if (!(d instanceof FeelDuration) || !__khcnIsNumber(n)) {
      return null;
    }
    const factor = Math.trunc(n);
    return d.yearsMonths
      ? __khcnYearsMonths(__khcnMonths(d) * factor)
      : new FeelDuration(Temporal.Duration.from({
        days: d.value.days * factor, hours: d.value.hours * factor,
        minutes: d.value.minutes * factor, seconds: d.value.seconds * factor,
        milliseconds: d.value.milliseconds * factor, microseconds: d.value.microseconds * factor,
        nanoseconds: d.value.nanoseconds * factor,
      }), false);
  }
  if (!leftDuration) {
    return null;
  }
  if (__khcnIsNumber(right)) {
    if (right === 0) {
      return null;
    }
    return left.yearsMonths
      ? __khcnYearsMonths(Math.trunc(__khcnMonths(left) / right))
      : __khcnDaysTime(Math.trunc(__khcnMillis(left) / right));
  }
  if (!rightDuration || left.yearsMonths !== right.yearsMonths) {
    return null;
  }
  if (left.yearsMonths) {
    const divisor = __khcnMonths(right);
    return divisor === 0 ? null : __khcnDecimal(__khcnMonths(left) / divisor);
  }
  const divisor = __khcnMillis(right);
  return divisor === 0 ? null : Math.trunc(__khcnMillis(left) / divisor);
}

const __khcnDurations = (op, context, invalidType, plain) => (a, b) => {
  const left = a(context);
  const right = b(context);
  const result = __khcnDurationOp(op, left, right);
  if (result === undefined) {
    return plain(() => left, () => right);
  }
  if (result === null) {
    invalidType(op, left, right);
  }
  return result;
};
`;

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
  plugins: [feelinFixes],
});
