// khcn FEEL bridge: feelin + the Camunda (Zeebe) built-ins feelin lacks, exposed on the
// global `KhcnFeel` for engine/feel/bridge.py, which runs this bundle in V8 via mini-racer.
//
// Protocol: every entry point takes and returns JSON *strings* (one JSON.parse in, one
// JSON.stringify out) because that is the cheapest way across the Python <-> V8 boundary.
// Replies are `{"v": value, "w": [warnings], "n": [names]?}` or `{"e": message, ...}`.

import {
  evaluate,
  unaryTest,
  parseExpression,
  parseUnaryTests,
  FeelDate,
  FeelTime,
  FeelDateTime,
  FeelDuration,
  isFunction,
  isRange,
  FeelRange,
  dateAndTime as parseFeelDateTime,
  khcnToComparable,
} from 'feelin';
import feelinPackage from 'feelin/package.json';
import { add, remainder, setScale } from './decimal.js';

const DIALECT = 'camunda';
const VERSION = `khcn-feel 3 (feelin ${feelinPackage.version})`;

// ---------------------------------------------------------------------------------------
// helpers

/** Thrown by `assert()`: Zeebe turns a failed assertion into an evaluation failure. */
class AssertionFailure extends Error {}

/** Thrown when a result cannot be represented as JSON (functions, ranges). */
class UnsupportedValue extends Error {}

const isString = (v) => typeof v === 'string';
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);
const isNil = (v) => v === null || v === undefined;
const isContext = (v) => !isNil(v) && Object.getPrototypeOf(v) === Object.prototype;

// feelin resolves builtins as a fallback of variable lookup, so a backticked name yields
// the original implementation even where we shadow it with our own version below.
function feelinBuiltin(name) {
  const fn = evaluate('`' + name + '`', {}, DIALECT).value;
  if (typeof fn !== 'function') {
    throw new Error(`feelin builtin '${name}' not found`);
  }
  return fn;
}

// feelin reports a rejected builtin call through an (unexported) failure signal, which it
// turns into a warning and null. Borrow its class from a failing call so our built-ins
// report bad arguments the same way; if feelin ever changes, we degrade to a silent null.
const InvocationFailure = (() => {
  const probe = feelinBuiltin('number')('not a number');
  return probe && typeof probe === 'object' && 'warning' in probe ? probe.constructor : null;
})();

function invalid(template, values = {}) {
  return InvocationFailure ? new InvocationFailure('INVALID_ARGUMENTS', template, values) : null;
}

/** Attach FEEL parameter names (needed for named arguments and for JS reserved words). */
function builtin(params, impl) {
  impl.$args = params;
  return impl;
}

const ZONED_BRACKET = /^(.*?)(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)\[([^\]]+)\]$/;
const OFFSET_ZONE = /^[+-]\d{2}:\d{2}(:\d{2})?$/;

/** Zeebe writes zoned date-times as `...+02:00[Europe/Berlin]`; FEEL spells that `...@Europe/Berlin`. */
function normaliseDateTimeString(text) {
  const match = ZONED_BRACKET.exec(text);
  return match ? `${match[1]}@${match[2]}` : text;
}

/** The ISO string Zeebe stores for a date-time (Java's ISO_ZONED_DATE_TIME / ISO_LOCAL_DATE_TIME). */
function dateTimeToIso(value) {
  const zone = value.zone;
  if (zone === null || zone === 'UTC' || OFFSET_ZONE.test(zone)) {
    return value.iso;
  }
  try {
    return value.unwrap().toZonedDateTime(zone).toString();
  } catch (_error) {
    return value.iso;
  }
}

/** Convert a FEEL value into plain JSON data; throws UnsupportedValue for functions/ranges. */
function toPlain(value) {
  if (value === null || value === undefined) {
    return null;
  }
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      // arithmetic already computed on decimals (decimal.js): the double is the result
      return Number.isFinite(value) ? value : null;
    case 'function':
      throw new UnsupportedValue('a function');
  }
  if (Array.isArray(value)) {
    return value.map(toPlain);
  }
  if (value instanceof FeelDateTime) {
    return dateTimeToIso(value);
  }
  if (value instanceof FeelDate || value instanceof FeelTime || value instanceof FeelDuration) {
    return value.iso;
  }
  if (isContext(value)) {
    const plain = {};
    for (const key of Object.keys(value)) {
      plain[key] = toPlain(value[key]);
    }
    return plain;
  }
  if (isFunction(value)) {
    throw new UnsupportedValue('a function');
  }
  if (isRange(value)) {
    throw new UnsupportedValue('a range');
  }
  throw new UnsupportedValue(`a value of unknown type (${Object.prototype.toString.call(value)})`);
}

/** A structural key, so `duplicate values` compares lists and contexts by content. */
function valueKey(value) {
  if (Array.isArray(value)) {
    return '[' + value.map(valueKey).join(',') + ']';
  }
  if (isContext(value)) {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + valueKey(value[k])).join(',') + '}';
  }
  if (value instanceof FeelDate || value instanceof FeelTime
      || value instanceof FeelDateTime || value instanceof FeelDuration) {
    return value.constructor.name + ':' + value.iso;
  }
  return typeof value + ':' + String(value);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** UTF-8 then Base64; bare V8 has neither TextEncoder nor btoa. */
function base64Utf8(text) {
  const bytes = [];
  for (const char of text) {
    let cp = char.codePointAt(0);
    if (cp < 0x80) {
      bytes.push(cp);
    } else if (cp < 0x800) {
      bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    } else {
      bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    }
  }
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63]
      + (b === undefined ? '=' : BASE64[(n >> 6) & 63])
      + (c === undefined ? '=' : BASE64[n & 63]);
  }
  return out;
}

/** A random (version 4) UUID; V8 without a host has no crypto, ids need no secrecy here. */
function uuid4() {
  const hex = [];
  for (let i = 0; i < 32; i++) {
    hex.push(Math.floor(Math.random() * 16));
  }
  hex[12] = 4;
  hex[16] = (hex[16] & 0x3) | 0x8;
  const s = hex.map((d) => d.toString(16)).join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** The FEEL type name of a value that can be a range bound (feelin's spelling). */
function boundType(value) {
  switch (typeof value) {
    case 'number': return 'number';
    case 'string': return 'string';
    case 'boolean': return 'boolean';
  }
  if (value instanceof FeelDate) return 'date';
  if (value instanceof FeelTime) return 'time';
  if (value instanceof FeelDateTime) return 'date time';
  if (value instanceof FeelDuration) return 'duration';
  return 'other';
}

// feelin 8.2 compares across types with JS operators, so `"abc" >= 70` and `"abc" in [1..5]`
// come out true. Every ordering comparison (`<`, `>=`, `between`, intervals, DMN input
// entries) goes through FeelRange#includes, so refuse mixed types there: the comparison is
// then null, as in Zeebe, and a condition or input entry does not match.
const feelinRangeIncludes = FeelRange.prototype.includes;
FeelRange.prototype.includes = function includes(value) {
  if (this.valueType && !isNil(value) && !(value instanceof FeelRange)
      && boundType(value) !== this.valueType) {
    return null;
  }
  return feelinRangeIncludes.call(this, value);
};

// ---------------------------------------------------------------------------------------
// Camunda built-ins missing from (or narrower in) feelin 8.2

const feelinDateAndTime = feelinBuiltin('date and time');
const feelinGetValue = feelinBuiltin('get value');

// numbers: rounding and remainders on decimals, as BigDecimal.setScale and remainder do
// (feelin scales doubles, so `round half up(1.005, 2)` would be 1).

const ROUNDING_MODES = ['UP', 'DOWN', 'CEILING', 'FLOOR', 'HALF_UP', 'HALF_DOWN', 'HALF_EVEN', 'UNNECESSARY'];

function rounded(name, n, scale, mode) {
  if (!isNumber(n) || !isNumber(scale)) {
    return invalid(`${name} expects numbers, got {n} and {scale}`, { n, scale });
  }
  try {
    return setScale(n, Math.trunc(scale), mode);
  } catch (_error) {
    return invalid(`Failed to apply rounding mode '${mode}' to {n}`, { n });
  }
}

/** A rounding built-in: `(n, scale)`, or `(n)` with scale 0 where `optionalScale`. */
function roundingBuiltin(name, mode, optionalScale) {
  return builtin(['n', 'scale'], (n, scale) => {
    if (scale === undefined && !optionalScale) {
      return invalid(`${name}(n, scale) expects a scale`);
    }
    return rounded(name, n, scale === undefined ? 0 : scale, mode);
  });
}

const NUMBER_FUNCTIONS = {
  'decimal': builtin(['n', 'scale', 'mode'], (n, scale, mode) => {
    if (mode === undefined) {
      return rounded('decimal', n, scale, 'HALF_EVEN');
    }
    const name = isString(mode) ? mode.toUpperCase() : null;
    if (!ROUNDING_MODES.includes(name)) {
      return invalid(`Illegal argument {mode} for rounding mode. Must be one of: ${ROUNDING_MODES.join(', ')}`,
        { mode });
    }
    return rounded('decimal', n, scale, name);
  }),
  'floor': roundingBuiltin('floor', 'FLOOR', true),
  'ceiling': roundingBuiltin('ceiling', 'CEILING', true),
  'round up': roundingBuiltin('round up', 'UP', false),
  'round down': roundingBuiltin('round down', 'DOWN', false),
  'round half up': roundingBuiltin('round half up', 'HALF_UP', false),
  'round half down': roundingBuiltin('round half down', 'HALF_DOWN', false),
  // FEEL's modulo takes the divisor's sign: modulo(-12, 5) is 3, modulo(12, -5) is -3
  'modulo': builtin(['dividend', 'divisor'], (dividend, divisor) => {
    if (!isNumber(dividend) || !isNumber(divisor) || divisor === 0) {
      return invalid('modulo(dividend, divisor) expects numbers and a divisor other than 0, '
        + 'got {dividend} and {divisor}', { dividend, divisor });
    }
    return remainder(add(remainder(dividend, divisor), divisor), divisor);
  }),
};

// ---------------------------------------------------------------------------------------
// ranges: feel-scala's range functions (feelin 8.2 lacks `overlaps before`, `finishes`,
// `during`, `starts`, `coincides` and others). Points are numbers, dates, times, date-times or
// durations; both arguments must hold points of one kind (a local and a zoned time do not
// compare, nor a years-and-months and a days-and-time duration).

function pointKind(value) {
  if (isNumber(value)) return 'number';
  if (value instanceof FeelDate) return 'date';
  if (value instanceof FeelTime) return value.zone === null ? 'local time' : 'time';
  if (value instanceof FeelDateTime) return value.zone === null ? 'local date time' : 'date time';
  if (value instanceof FeelDuration) return value.yearsMonths ? 'years and months' : 'days and time';
  return null;
}

const isBoundedRange = (value) => isRange(value) && !isNil(value.start) && !isNil(value.end);

/** The kind of a point, or of a range's start; null for anything else. */
function kindOf(value) {
  return isBoundedRange(value) ? pointKind(value.start) : pointKind(value);
}

/** -1, 0 or 1 for two points of one kind. */
function comparePoints(a, b) {
  const [x, y] = isNumber(a) ? [a, b] : [khcnToComparable(a), khcnToComparable(b)];
  return x < y ? -1 : (x > y ? 1 : 0);
}

/** A range's ends as {v, closed} so the rules below read as feel-scala's. */
function ends(range) {
  return [
    { v: range.start, closed: range['start included'] },
    { v: range.end, closed: range['end included'] },
  ];
}

const lt = (a, b) => comparePoints(a, b) < 0;
const gt = (a, b) => comparePoints(a, b) > 0;
const eq = (a, b) => comparePoints(a, b) === 0;

/**
 * A range built-in of two arguments, accepted under each pair of parameter names feel-scala
 * gives it (`before(point1, point2)`, `before(range, point)`, ...); `rules` maps the shape of
 * the arguments ('point point', 'point range', 'range point', 'range range') to the answer.
 */
function rangeBuiltin(name, namePairs, rules) {
  const names = [...new Set(namePairs.flat())];
  return builtin(names, (...args) => {
    const pair = namePairs.find(([a, b]) => args[names.indexOf(a)] !== undefined
      && args[names.indexOf(b)] !== undefined) || namePairs[0];
    const [x, y] = pair.map((n) => args[names.indexOf(n)]);
    const shape = `${isRange(x) ? 'range' : 'point'} ${isRange(y) ? 'range' : 'point'}`;
    const kind = kindOf(x);
    if (kind === null || kind !== kindOf(y) || !rules[shape]) {
      return invalid(`${name}({x}, {y}) expects points or ranges of one kind`, { x, y });
    }
    return rules[shape](...[x, y].map((v) => (isRange(v) ? ends(v) : v)));
  });
}

const POINTS = [['point1', 'point2']];
const RANGES = [['range1', 'range2']];

const RANGE_FUNCTIONS = {
  'before': rangeBuiltin('before', [...POINTS, ['point', 'range'], ['range', 'point'], ...RANGES], {
    'point point': (a, b) => lt(a, b),
    'point range': (p, [s]) => lt(p, s.v) || (eq(p, s.v) && !s.closed),
    'range point': ([, e], p) => lt(e.v, p) || (eq(e.v, p) && !e.closed),
    'range range': ([, e1], [s2]) => lt(e1.v, s2.v) || ((!e1.closed || !s2.closed) && eq(e1.v, s2.v)),
  }),
  'after': rangeBuiltin('after', [...POINTS, ['point', 'range'], ['range', 'point'], ...RANGES], {
    'point point': (a, b) => gt(a, b),
    'point range': (p, [, e]) => gt(p, e.v) || (eq(p, e.v) && !e.closed),
    'range point': ([s], p) => gt(s.v, p) || (eq(s.v, p) && !s.closed),
    'range range': ([s1], [, e2]) => gt(s1.v, e2.v) || ((!s1.closed || !e2.closed) && eq(s1.v, e2.v)),
  }),
  'meets': rangeBuiltin('meets', RANGES, {
    'range range': ([, e1], [s2]) => e1.closed && s2.closed && eq(e1.v, s2.v),
  }),
  'met by': rangeBuiltin('met by', RANGES, {
    'range range': ([s1], [, e2]) => s1.closed && e2.closed && eq(s1.v, e2.v),
  }),
  'overlaps': rangeBuiltin('overlaps', RANGES, {
    'range range': ([s1, e1], [s2, e2]) =>
      (gt(e1.v, s2.v) || (eq(e1.v, s2.v) && e1.closed && s2.closed))
      && (lt(s1.v, e2.v) || (eq(s1.v, e2.v) && s1.closed && e2.closed)),
  }),
  'overlaps before': rangeBuiltin('overlaps before', RANGES, {
    'range range': ([s1, e1], [s2, e2]) =>
      (lt(s1.v, s2.v) || (eq(s1.v, s2.v) && s1.closed && !s2.closed))
      && (gt(e1.v, s2.v) || (eq(e1.v, s2.v) && e1.closed && s2.closed))
      && (lt(e1.v, e2.v) || (eq(e1.v, e2.v) && (!e1.closed || e2.closed))),
  }),
  'overlaps after': rangeBuiltin('overlaps after', RANGES, {
    'range range': ([s1, e1], [s2, e2]) =>
      (lt(s2.v, s1.v) || (eq(s2.v, s1.v) && s2.closed && !s1.closed))
      && (gt(e2.v, s1.v) || (eq(e2.v, s1.v) && e2.closed && s1.closed))
      && (lt(e2.v, e1.v) || (eq(e2.v, e1.v) && (!e2.closed || e1.closed))),
  }),
  'finishes': rangeBuiltin('finishes', [['point', 'range'], ...RANGES], {
    'point range': (p, [, e]) => e.closed && eq(e.v, p),
    'range range': ([s1, e1], [s2, e2]) => e1.closed === e2.closed && eq(e1.v, e2.v)
      && (gt(s1.v, s2.v) || (eq(s1.v, s2.v) && (!s1.closed || s2.closed))),
  }),
  'finished by': rangeBuiltin('finished by', [['range', 'point'], ...RANGES], {
    'range point': ([, e], p) => e.closed && eq(e.v, p),
    'range range': ([s1, e1], [s2, e2]) => e1.closed === e2.closed && eq(e1.v, e2.v)
      && (lt(s1.v, s2.v) || (eq(s1.v, s2.v) && (s1.closed || !s2.closed))),
  }),
  'includes': rangeBuiltin('includes', [['range', 'point'], ...RANGES], {
    'range point': ([s, e], p) => (lt(s.v, p) && gt(e.v, p)) || (eq(s.v, p) && s.closed)
      || (eq(e.v, p) && e.closed),
    'range range': ([s1, e1], [s2, e2]) =>
      (lt(s1.v, s2.v) || (eq(s1.v, s2.v) && (s1.closed || !s2.closed)))
      && (gt(e1.v, e2.v) || (eq(e1.v, e2.v) && (e1.closed || !e2.closed))),
  }),
  'during': rangeBuiltin('during', [['point', 'range'], ...RANGES], {
    'point range': (p, [s, e]) => (lt(s.v, p) && gt(e.v, p)) || (eq(s.v, p) && s.closed)
      || (eq(e.v, p) && e.closed),
    'range range': ([s1, e1], [s2, e2]) =>
      (lt(s2.v, s1.v) || (eq(s2.v, s1.v) && (s2.closed || !s1.closed)))
      && (gt(e2.v, e1.v) || (eq(e2.v, e1.v) && (e2.closed || !e1.closed))),
  }),
  'starts': rangeBuiltin('starts', [['point', 'range'], ...RANGES], {
    'point range': (p, [s]) => s.closed && eq(s.v, p),
    'range range': ([s1, e1], [s2, e2]) => eq(s1.v, s2.v) && s1.closed === s2.closed
      && (lt(e1.v, e2.v) || (eq(e1.v, e2.v) && (!e1.closed || e2.closed))),
  }),
  'started by': rangeBuiltin('started by', [['range', 'point'], ...RANGES], {
    'range point': ([s], p) => s.closed && eq(s.v, p),
    'range range': ([s1, e1], [s2, e2]) => eq(s1.v, s2.v) && s1.closed === s2.closed
      && (lt(e2.v, e1.v) || (eq(e2.v, e1.v) && (!e2.closed || e1.closed))),
  }),
  'coincides': rangeBuiltin('coincides', [...POINTS, ...RANGES], {
    'point point': (a, b) => eq(a, b),
    'range range': ([s1, e1], [s2, e2]) => eq(s1.v, s2.v) && s1.closed === s2.closed
      && eq(e1.v, e2.v) && e1.closed === e2.closed,
  }),
};

/** Camunda's `context put`: a path of keys makes the contexts it lacks (feel-scala). */
function contextPut(context, keys, value) {
  const [key, ...rest] = keys;
  const inner = rest.length === 0 ? value
    : contextPut(isContext(context[key]) ? context[key] : {}, rest, value);
  return { ...context, [key]: inner };
}

const EXTRAS = {
  ...NUMBER_FUNCTIONS,
  ...RANGE_FUNCTIONS,

  // boolean / misc (Camunda extensions)
  'get or else': builtin(['value', 'default'], (value, fallback) => (isNil(value) ? (fallback ?? null) : value)),
  'is defined': builtin(['value'], (value) => !isNil(value)),
  'assert': builtin(['value', 'condition', 'cause'], (value, condition, cause) => {
    if (condition !== true) {
      throw new AssertionFailure(isString(cause) ? cause : 'The condition is not fulfilled');
    }
    return value;
  }),
  'random number': builtin([], () => Math.random()),
  'uuid': builtin([], () => uuid4()),
  'to json': builtin(['value'], (value) => {
    try {
      return JSON.stringify(toPlain(value));
    } catch (error) {
      if (error instanceof UnsupportedValue) {
        return invalid('to json(value) cannot serialise {value}', { value });
      }
      throw error;
    }
  }),
  'from json': builtin(['value'], (value) => {
    if (!isString(value)) {
      return invalid('from json(value) expects a string, got {value}', { value });
    }
    try {
      return JSON.parse(value);
    } catch (_error) {
      return invalid('from json(value) got invalid JSON {value}', { value });
    }
  }),

  // strings
  'trim': builtin(['string'], (string) => (isString(string) ? string.trim() : null)),
  'is blank': builtin(['string'], (string) => (isString(string) ? string.trim() === '' : null)),
  'to base64': builtin(['value'], (value) => (isString(value) ? base64Utf8(value) : null)),
  'extract': builtin(['string', 'pattern'], (string, pattern) => {
    if (!isString(string) || !isString(pattern)) {
      return null;
    }
    let regexp;
    try {
      regexp = new RegExp(pattern, 'g');
    } catch (_error) {
      return invalid('extract(string, pattern) got an invalid pattern {pattern}', { pattern });
    }
    return Array.from(string.matchAll(regexp), (m) => m[0]);
  }),

  // lists
  'is empty': builtin(['list'], (list) => (Array.isArray(list) ? list.length === 0 : null)),
  'partition': builtin(['list', 'size'], (list, size) => {
    if (!Array.isArray(list) || !Number.isInteger(size)) {
      return null;
    }
    if (size <= 0) {
      return invalid('partition(list, size) expects a positive size, got {size}', { size });
    }
    const parts = [];
    for (let i = 0; i < list.length; i += size) {
      parts.push(list.slice(i, i + size));
    }
    return parts;
  }),
  'duplicate values': builtin(['list'], (list) => {
    if (!Array.isArray(list)) {
      return null;
    }
    const seen = new Map();
    for (const item of list) {
      const key = valueKey(item);
      const entry = seen.get(key);
      if (entry) {
        entry.count++;
      } else {
        seen.set(key, { item, count: 1 });
      }
    }
    return [...seen.values()].filter((e) => e.count > 1).map((e) => e.item);
  }),
  // Camunda's 3- and 4-argument forms (delimiter, prefix, suffix); feelin has only 2.
  'string join': builtin(['list', 'delimiter', 'prefix', 'suffix'], (list, delimiter, prefix, suffix) => {
    if (!Array.isArray(list)) {
      return null;
    }
    const bad = list.find((item) => !isString(item) && item !== null);
    if (bad !== undefined) {
      return invalid('string join(list) expects a list of strings, got {item}', { item: bad });
    }
    const joined = list.filter((item) => item !== null).join(isString(delimiter) ? delimiter : '');
    return (isString(prefix) ? prefix : '') + joined + (isString(suffix) ? suffix : '');
  }),

  // contexts: Camunda's `get value(context, keys)` follows a path of keys.
  'get value': builtin(['context', 'key', 'keys', 'm'], (context, key, keys, m) => {
    const target = context === undefined ? m : context;
    const path = Array.isArray(key) ? key : keys;
    if (!Array.isArray(path)) {
      return feelinGetValue(target, key);
    }
    let value = target;
    for (const name of path) {
      if (!isContext(value) || !isString(name) || !Object.prototype.hasOwnProperty.call(value, name)) {
        return null;
      }
      value = value[name];
    }
    return value ?? null;
  }),

  'context put': builtin(['context', 'key', 'value', 'keys'], (context, key, value, keys) => {
    const path = Array.isArray(key) ? key : (keys !== undefined ? keys : [key]);
    if (!isContext(context) || !Array.isArray(path) || path.length === 0 || !path.every(isString)) {
      return invalid('context put(context, key, value) expects a context and a key or a '
        + 'non-empty list of keys, got {context} and {key}', { context, key: key === undefined ? keys : key });
    }
    return contextPut(context, path, value);
  }),
  // the names `context put` and `context merge` had before (deprecated, still in Zeebe)
  'put': builtin(['context', 'key', 'value'], (context, key, value) => {
    if (!isContext(context) || !isString(key)) {
      return invalid('put(context, key, value) expects a context and a key, got {context} and {key}',
        { context, key });
    }
    return contextPut(context, [key], value);
  }),
  'put all': builtin(['...contexts'], (...contexts) => {
    const list = contexts.length === 1 && Array.isArray(contexts[0]) ? contexts[0] : contexts;
    if (!list.every(isContext)) {
      return invalid('put all(contexts) expects contexts, got {contexts}', { contexts: list });
    }
    return Object.assign({}, ...list);
  }),

  // miscellaneous: tags a value an AI agent fills in; the engine passes the value through
  'fromAi': builtin(['value', 'description', 'type', 'schema', 'options'], (value) => value ?? null),

  // temporal
  'last day of month': builtin(['date'], (date) => {
    if (!(date instanceof FeelDate || date instanceof FeelDateTime)) {
      return null;
    }
    const plain = date.unwrap();
    const day = plain.with({ day: plain.daysInMonth });
    return new FeelDate(date instanceof FeelDateTime ? day.toPlainDate() : day);
  }),
  // feel-scala 1.18: whole years and months only (feelin keeps the days: P1Y8M2D), and
  // date-times are taken by their dates.
  'years and months duration': builtin(['from', 'to'], (from, to) => {
    const day = (v) => (v instanceof FeelDate ? v.unwrap()
      : v instanceof FeelDateTime ? v.unwrap().toPlainDate() : null);
    const [start, end] = [day(from), day(to)];
    if (start === null || end === null || (from instanceof FeelDate) !== (to instanceof FeelDate)) {
      return invalid('years and months duration(from, to) expects two dates or two date-times, '
        + 'got {from} and {to}', { from, to });
    }
    const between = start.until(end, { largestUnit: 'month' });
    return new FeelDuration(between.with({ days: 0 }), true);
  }),
  // Adds Camunda's `date and time(from, timezone)` and accepts the `...+02:00[Zone]` strings
  // Zeebe writes for zoned date-times (feelin would silently drop the zone).
  'date and time': builtin(['date', 'time', 'from', 'timezone'], (date, time, from, timezone) => {
    if (isString(time) && timezone === undefined && from === undefined) {
      [from, timezone, date, time] = [date, time, undefined, undefined];
    }
    if (timezone !== undefined && timezone !== null) {
      let value = from === undefined ? date : from;
      if (isString(value)) {
        value = parseFeelDateTime(normaliseDateTimeString(value));
      }
      if (!(value instanceof FeelDateTime) || !isString(timezone)) {
        return null;
      }
      const zone = timezone === 'Z' ? 'UTC' : timezone;
      try {
        if (value.zone === null) {
          // a local date-time gets the zone attached, its wall clock unchanged
          value.unwrap().toZonedDateTime(zone);
          return new FeelDateTime(value.unwrap(), zone);
        }
        const instant = value.unwrap().toZonedDateTime(value.zone).withTimeZone(zone);
        return new FeelDateTime(instant.toPlainDateTime(), zone);
      } catch (_error) {
        return invalid('date and time(from, timezone) got an unknown timezone {timezone}', { timezone });
      }
    }
    if (isString(date)) {
      date = normaliseDateTimeString(date);
    }
    if (isString(from)) {
      from = normaliseDateTimeString(from);
    }
    return feelinDateAndTime(date, time, from);
  }),
};

// ---------------------------------------------------------------------------------------
// compilation and caching

// The parser is context sensitive (it learns multi-word names from the context). Parsing
// with our built-in names only, never the variables, matches Zeebe, where names with
// spaces need backticks, and makes a parse valid for every variable set, so it can be cached.
const PARSE_CONTEXT = EXTRAS;
const PREFIX = 'function() ';
const MAX_CACHE = 4096;

// feelin exposes only evaluate(text, context); there is no "compile once" API. We evaluate
// `function() <expr>` once: the result is a FEEL function whose body is the built
// execution tree, and calling it re-runs only the tree. Its body sees the *definition*
// context copied at call time, so that context is a proxy over the current call's scope.
let currentScope = {};
class Scope {}
const scopeProxy = new Proxy(new Scope(), {
  ownKeys: () => Reflect.ownKeys(currentScope),
  getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(currentScope, key),
  get: (_target, key) => currentScope[key],
  has: (_target, key) => key in currentScope,
});

/** Root variable names an expression reads (callees excluded, so `count(x)` beats a variable `count`). */
function collectNames(tree, text) {
  const names = new Set();
  let error = null;
  let misplacedTest = null;
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        if (error === null) {
          error = node.from;
        }
        return false;
      }
      if (node.name === 'SimplePositiveUnaryTest' && error === null) {
        // lezer-feel also accepts `< 5` where an expression belongs (`= 5`, `a = = 5`,
        // `>= = 5`), which Zeebe rejects and feelin fails on later; outside a unary test
        // position only intervals (`[1..5]`) are values
        const first = node.node.firstChild;
        const parentName = node.node.parent && node.node.parent.name;
        if (first && first.name === 'CompareOp' && parentName !== 'PositiveUnaryTest') {
          error = node.from;
          misplacedTest = text.slice(first.from, first.to);
        }
        return undefined;
      }
      if (node.name !== 'VariableName') {
        return undefined;
      }
      const parent = node.node.parent;
      const isCallee = parent && parent.name === 'FunctionInvocation' && parent.from === node.from;
      if (!isCallee) {
        names.add(text.slice(node.from, node.to).replace(/`/g, '').replace(/\s+/g, ' '));
      }
      // descend anyway: an error node can sit inside a name
      return undefined;
    },
  });
  const message = misplacedTest === null
    ? null
    : `Unexpected comparison '${misplacedTest}' (a unary test is not allowed here)`;
  return { names: [...names], error, message };
}

class FeelSyntaxError extends Error {
  constructor(message, position) {
    super(message);
    this.position = position;
  }
}

/**
 * The error for a parse that found a problem: ours if we named it, else feelin's own
 * wording, which it throws while building the tree (before evaluating anything).
 */
function syntaxError(text, evaluateFn, parsed) {
  if (parsed.message !== null) {
    return new FeelSyntaxError(parsed.message, parsed.error);
  }
  try {
    evaluateFn(text, PARSE_CONTEXT, DIALECT);
  } catch (error) {
    if (error && error.position) {
      return new FeelSyntaxError(error.message, error.position.from);
    }
    return new FeelSyntaxError(String(error && error.message), parsed.error);
  }
  return new FeelSyntaxError('syntax error', parsed.error);
}

function remember(cache, key, entry) {
  if (cache.size >= MAX_CACHE) {
    // insertion order: drop the oldest entry
    cache.delete(cache.keys().next().value);
  }
  cache.set(key, entry);
}

const expressions = new Map();

function compileExpression(text) {
  let entry = expressions.get(text);
  if (entry) {
    return entry;
  }
  const parsed = collectNames(parseExpression(text, PARSE_CONTEXT, DIALECT), text);
  if (parsed.error !== null) {
    throw syntaxError(text, evaluate, parsed);
  }
  const names = parsed.names;
  currentScope = EXTRAS;
  let compiled;
  try {
    compiled = evaluate(PREFIX + text, scopeProxy, DIALECT);
  } catch (error) {
    if (error && error.position) {
      throw new FeelSyntaxError(error.message, Math.max(0, error.position.from - PREFIX.length));
    }
    throw error;
  }
  if (!isFunction(compiled.value)) {
    throw new FeelSyntaxError('expression could not be compiled', 0);
  }
  entry = { fn: compiled.value, warnings: compiled.warnings, names };
  remember(expressions, text, entry);
  return entry;
}

/** Warnings as Zeebe writes them ("[TYPE] message"), worded like feel-scala's where feelin's differs. */
function formatWarnings(warnings) {
  return warnings.map((w) => {
    let message = w.message;
    if (w.type === 'NO_VARIABLE_FOUND') {
      const match = /^Variable '(.*)' not found$/.exec(message);
      if (match) {
        message = `No variable found with name '${match[1]}'`;
      }
    }
    return `[${w.type}] ${message}`;
  });
}

/** The built-ins plus the given variables, restricted to the names an expression reads. */
function scopeFor(names, variables) {
  const scope = Object.assign({}, EXTRAS);
  for (const name of names) {
    // a variable named like a built-in would otherwise shadow it; callees are not in
    // `names`, so `count(items)` still calls the built-in next to a variable `count`
    if (name !== '__proto__' && Object.prototype.hasOwnProperty.call(variables, name)) {
      scope[name] = variables[name];
    }
  }
  return scope;
}

function runCompiled(entry, variables) {
  currentScope = scopeFor(entry.names, variables);
  entry.warnings.length = 0;
  try {
    return entry.fn.invoke([]);
  } finally {
    currentScope = EXTRAS;
  }
}

const unaryTestsCache = new Map();

function compileUnaryTest(text) {
  let entry = unaryTestsCache.get(text);
  if (entry) {
    return entry;
  }
  const parsed = collectNames(parseUnaryTests(text, PARSE_CONTEXT, DIALECT), text);
  if (parsed.error !== null) {
    throw syntaxError(text, unaryTest, parsed);
  }
  entry = { names: parsed.names };
  remember(unaryTestsCache, text, entry);
  return entry;
}

function failure(error, extra = {}) {
  if (error instanceof FeelSyntaxError) {
    return { e: `syntax error: ${error.message}`, p: error.position, ...extra };
  }
  if (error instanceof AssertionFailure) {
    return { e: `assertion failed: ${error.message}`, ...extra };
  }
  if (error instanceof UnsupportedValue) {
    return { e: `the result is ${error.message}, which has no JSON form`, ...extra };
  }
  return { e: `evaluation failed: ${error && error.message ? error.message : String(error)}`, ...extra };
}

// ---------------------------------------------------------------------------------------
// entry points (called from Python)

/** Evaluate one expression; `variablesJson` is a JSON object of (at least) the names it reads. */
function evaluateJson(text, variablesJson, wantNames) {
  let reply;
  try {
    const entry = compileExpression(text);
    const value = runCompiled(entry, JSON.parse(variablesJson));
    reply = { v: toPlain(value), w: formatWarnings(entry.warnings) };
    if (wantNames) {
      reply.n = entry.names;
    }
  } catch (error) {
    const entry = expressions.get(text);
    reply = failure(error, entry ? { w: formatWarnings(entry.warnings) } : {});
  }
  return JSON.stringify(reply);
}

/**
 * Run DMN input entries against one input. The input is either a JSON value or, when
 * `inputExpression` is given, that expression's raw FEEL value (so a date stays a date).
 */
function unaryTestsJson(testsJson, inputJson, inputExpression, variablesJson, wantNames) {
  const tests = JSON.parse(testsJson);
  const variables = JSON.parse(variablesJson);
  const warnings = [];
  let index = -1;
  try {
    let input = JSON.parse(inputJson);
    let inputNames = null;
    if (inputExpression !== null) {
      const entry = compileExpression(inputExpression);
      inputNames = entry.names;
      input = runCompiled(entry, variables);
      warnings.push(...formatWarnings(entry.warnings));
    }
    const testNames = [];
    for (index = 0; index < tests.length; index++) {
      testNames.push(compileUnaryTest(tests[index]).names);
    }
    const context = scopeFor(new Set(testNames.flat()), variables);
    context['?'] = input;
    const results = [];
    for (index = 0; index < tests.length; index++) {
      const result = unaryTest(tests[index], context, DIALECT);
      results.push(result.value === true);
      warnings.push(...formatWarnings(result.warnings));
    }
    const reply = { v: results, w: warnings };
    if (wantNames) {
      reply.n = { tests: testNames, input: inputNames };
    }
    return JSON.stringify(reply);
  } catch (error) {
    return JSON.stringify(failure(error, { i: index, w: warnings }));
  }
}

/** Syntax check without evaluating: `kind` is 'expression' or 'unary'. Learns names too. */
function checkJson(text, kind) {
  try {
    const entry = kind === 'unary' ? compileUnaryTest(text) : compileExpression(text);
    return JSON.stringify({ n: entry.names });
  } catch (error) {
    return JSON.stringify(failure(error));
  }
}

export {
  VERSION as version,
  evaluateJson as evaluate,
  unaryTestsJson as unaryTests,
  checkJson as check,
};
