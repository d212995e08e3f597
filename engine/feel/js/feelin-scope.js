// Not a module of its own: build.mjs splices this text into feelin's module, ahead of feelin's
// source, so it may use feelin's module-level names (Temporal, FeelDuration, FeelDate, ...)
// and the decimal arithmetic imported as `__khcnDec` (decimal.js). The patches in build.mjs
// call these helpers from inside feelin's interpreter and built-ins.

const __khcnArithTemplate = (op) => ({
  add: "Can't add {right} to {left}",
  subtract: "Can't subtract {right} from {left}",
  multiply: "Can't multiply {left} by {right}",
  divide: "Can't divide {left} by {right}",
}[op] || `Can't ${op} {left} and {right}`);

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
// feel-scala's rules: factors are truncated to whole numbers, a years-and-months result is
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
    return divisor === 0 ? null : __khcnDec.divide(__khcnMonths(left), divisor);
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

// A string literal as feel-scala reads it: \n \r \t \b \f \' \" and \\ are escapes; any other
// backslash (a regex's \d or \s, a \u269D) stays as written.
const __KHCN_ESCAPES = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', "'": "'", '"': '"', '\\': '\\' };

function __khcnParseString(literal) {
  let text = literal;
  if (text.startsWith('"')) {
    text = text.slice(1);
  }
  if (text.endsWith('"')) {
    text = text.slice(0, -1);
  }
  return text.replace(/\\([\s\S])/g, (escape, char) => __KHCN_ESCAPES[char] ?? escape);
}

// A function call as a filter (`[1,2,3][even(item)]`) runs per item, as a comparison does;
// feel-scala takes a number from the first item as an index, else keeps the items it is true
// for. feelin would call it once, without `item`.
function __khcnFilterByInvocation(list, filter, context) {
  const run = (item) => filter(Object.assign({}, context, { item },
    isContext(item) ? item : {}));
  if (list.length === 0) {
    return [];
  }
  const first = run(list[0]);
  if (isNumber(first)) {
    const value = list[first < 0 ? list.length + first : first - 1];
    return value === undefined ? null : value;
  }
  const kept = first === true ? [list[0]] : [];
  for (const item of list.slice(1)) {
    if (run(item) === true) {
      kept.push(item);
    }
  }
  return kept;
}
