// Decimal arithmetic for FEEL numbers, as Zeebe computes them (feel-scala: java.math.BigDecimal
// with MathContext.DECIMAL128), on top of the JS doubles feelin uses for numbers.
//
// A number is read as the decimal its shortest representation spells (`String(0.1)` is "0.1";
// Zeebe reads a double the same way, via Double.toString), the operation is exact (+, -, *) or
// rounded to 34 significant digits half-even (/, as DECIMAL128), and the result is the double
// nearest to that decimal. So `0.1 + 0.2` is 0.3, `1 / 3` is the double nearest to
// 0.3333333333333333333333333333333333, and `log(10)` keeps all 16 digits of the double
// feel-scala also computes with Math.log.

const PRECISION = 34; // MathContext.DECIMAL128
const TEN = 10n;
const TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;
// a power that would need more digits than this is computed with doubles (it overflows anyway)
const MAX_POWER_DIGITS = 2000;

const isWhole = (v) => Number.isSafeInteger(v);
// NaN and the infinities (exp(1000)) have no decimal form: they keep double arithmetic
const isDecimal = (a, b) => Number.isFinite(a) && Number.isFinite(b);

/** The decimal a finite double spells: `{ digits, exponent }` meaning digits * 10^exponent. */
function parse(value) {
  const match = TEXT.exec(String(value));
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  return { digits: BigInt(sign + whole + fraction), exponent: Number(exponent) - fraction.length };
}

/** The double nearest to a decimal. */
function toNumber({ digits, exponent }) {
  return Number(`${digits}e${exponent}`);
}

function pow10(n) {
  return TEN ** BigInt(n);
}

function digitCount(n) {
  return (n < 0n ? -n : n).toString().length;
}

/** Both decimals with the smaller exponent, so their digits line up. */
function align(a, b) {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.digits * pow10(a.exponent - exponent),
    b.digits * pow10(b.exponent - exponent),
    exponent,
  ];
}

/**
 * The magnitude |quotient| rounded by `mode`, from a truncated quotient q, remainder r and
 * divisor (all non-negative); `negative` is the sign of the exact value. Java's RoundingMode.
 */
function roundQuotient(q, r, divisor, negative, mode) {
  if (r === 0n) {
    return q;
  }
  const twice = r * 2n;
  let up;
  switch (mode) {
    case 'UP': up = true; break;
    case 'DOWN': up = false; break;
    case 'CEILING': up = !negative; break;
    case 'FLOOR': up = negative; break;
    case 'HALF_UP': up = twice >= divisor; break;
    case 'HALF_DOWN': up = twice > divisor; break;
    case 'HALF_EVEN': up = twice > divisor || (twice === divisor && q % 2n === 1n); break;
    default: throw new RangeError('Rounding necessary');
  }
  return up ? q + 1n : q;
}

/** numerator / denominator (BigInts, denominator > 0) rounded to an integer by `mode`. */
function divideRounded(numerator, denominator, mode) {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const q = roundQuotient(magnitude / denominator, magnitude % denominator, denominator, negative, mode);
  return negative ? -q : q;
}

function add(a, b) {
  if (!isDecimal(a, b)) {
    return a + b;
  }
  if (isWhole(a) && isWhole(b)) {
    const sum = a + b;
    if (isWhole(sum)) {
      return sum;
    }
  }
  const [x, y, exponent] = align(parse(a), parse(b));
  return toNumber({ digits: x + y, exponent });
}

function subtract(a, b) {
  return add(a, -b);
}

function multiply(a, b) {
  if (!isDecimal(a, b)) {
    return a * b;
  }
  if (isWhole(a) && isWhole(b)) {
    const product = a * b;
    if (isWhole(product)) {
      return product;
    }
  }
  const x = parse(a);
  const y = parse(b);
  return toNumber({ digits: x.digits * y.digits, exponent: x.exponent + y.exponent });
}

/** a / b to 34 significant digits, half-even; null when b is 0 (as FEEL). */
function divide(a, b) {
  if (b === 0) {
    return null;
  }
  if (!isDecimal(a, b)) {
    return a / b;
  }
  if (isWhole(a) && isWhole(b) && a % b === 0) {
    return a / b;
  }
  const x = parse(a);
  const y = parse(b);
  const negative = (x.digits < 0n) !== (y.digits < 0n);
  const numerator = x.digits < 0n ? -x.digits : x.digits;
  const divisor = y.digits < 0n ? -y.digits : y.digits;
  // numerator * 10^shift / divisor: scale so the quotient has exactly PRECISION digits, and
  // round once
  const scaled = (shift) => (shift >= 0
    ? [numerator * pow10(shift), divisor]
    : [numerator, divisor * pow10(-shift)]);
  let shift = PRECISION + digitCount(divisor) - digitCount(numerator);
  const [n, d] = scaled(shift);
  if (digitCount(n / d) > PRECISION) {
    shift -= 1;
  }
  const [top, bottom] = scaled(shift);
  const digits = divideRounded(top, bottom, 'HALF_EVEN');
  return toNumber({ digits: negative ? -digits : digits, exponent: x.exponent - y.exponent - shift });
}

/** a ** b: whole exponents exactly (BigDecimal.pow, 34 digits), others with doubles (Math.pow). */
function power(a, b) {
  if (!isDecimal(a, b) || !Number.isInteger(b) || a === 0) {
    return Math.pow(a, b);
  }
  const x = parse(a);
  const n = Math.abs(b);
  if (digitCount(x.digits) * n > MAX_POWER_DIGITS) {
    return Math.pow(a, b);
  }
  const exact = { digits: x.digits ** BigInt(n), exponent: x.exponent * n };
  return b < 0 ? divide(1, toNumber(exact)) : toNumber(exact);
}

/** The remainder of a / b with the sign of a (BigDecimal.remainder); null when b is 0. */
function remainder(a, b) {
  if (b === 0) {
    return null;
  }
  if (!isDecimal(a, b)) {
    return a % b;
  }
  const [x, y, exponent] = align(parse(a), parse(b));
  return toNumber({ digits: x % y, exponent });
}

/** n with `scale` digits after the point, rounded by `mode` (BigDecimal.setScale). */
function setScale(n, scale, mode) {
  if (!isDecimal(n, scale)) {
    return n;
  }
  const x = parse(n);
  if (x.exponent >= -scale) {
    return n;
  }
  // dropping more digits than there are rounds the same way (to 0 or 1 unit of the scale),
  // without a power of ten as large as the scale asks for
  const dropped = Math.min(-scale - x.exponent, digitCount(x.digits) + 1);
  const digits = divideRounded(x.digits, pow10(dropped), mode);
  return toNumber({ digits, exponent: -scale });
}

/** The sample standard deviation: decimal mean and squares, then Math.sqrt as feel-scala. */
function standardDeviation(numbers) {
  const mean = divide(numbers.reduce(add), numbers.length);
  const squares = numbers.reduce((sum, n) => add(sum, power(subtract(n, mean), 2)), 0);
  return Math.sqrt(divide(squares, numbers.length - 1));
}

export { add, subtract, multiply, divide, power, remainder, setScale, standardDeviation };
