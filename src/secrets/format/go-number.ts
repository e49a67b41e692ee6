/**
 * Go's float formatting, because `sops` stores the plaintext of a float as
 * `strconv.FormatFloat(v, 'f', -1, 64)` (that text is encrypted and fed to the MAC), and its YAML
 * encoder writes floats with `'g'`. Both use the shortest digits that round-trip, which is also what
 * JavaScript's `toExponential()` yields, so the digits are taken from there.
 */
function shortestDigits(value: number): { digits: string; exponent: number } {
  const [mantissa = "0", exp = "0"] = Math.abs(value).toExponential().split("e");
  return { digits: mantissa.replace(".", ""), exponent: Number(exp) };
}

function special(value: number): string | undefined {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return undefined;
}

function fixed(value: number): string {
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const { digits, exponent } = shortestDigits(value);
  const sign = value < 0 ? "-" : "";
  const point = exponent + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `strconv.FormatFloat(v, 'f', -1, 64)`. */
export function goFormatFloatF(value: number): string {
  return special(value) ?? fixed(value);
}

/** `strconv.FormatFloat(v, 'g', -1, 64)`: exponent form when exp < -4 or exp >= 6 (Go's rule for shortest). */
export function goFormatFloatG(value: number): string {
  const s = special(value);
  if (s !== undefined) return s;
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const { digits, exponent } = shortestDigits(value);
  if (exponent < -4 || exponent >= 6) {
    const sign = value < 0 ? "-" : "";
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? "-" : "+";
    return `${sign}${mantissa}e${expSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return fixed(value);
}

/** `stores.ValToString` for floats in dotenv and INI: `'G'`, with a `.0` added when it would read as an int. */
export function goValToStringFloat(value: number): string {
  const g = goFormatFloatG(value).toUpperCase().replace("INF", "Inf").replace("NAN", "NaN");
  if (!g.includes(".") && !g.includes("E")) return fixedOneDecimal(value);
  return g;
}

function fixedOneDecimal(value: number): string {
  const s = special(value);
  if (s !== undefined) return s;
  return value.toFixed(1);
}
