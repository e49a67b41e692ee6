/**
 * YAML timestamps as `sops` 3.13 sees them: its YAML decoder turns an unquoted timestamp into a Go
 * `time.Time`, which is encrypted as `type:time` with the text of `MarshalText` (RFC 3339 with
 * nanoseconds, trailing zeros dropped). A date alone means midnight UTC; no zone means UTC.
 */
const TIMESTAMP =
  /^(\d{4})-(\d\d?)-(\d\d?)(?:(?:[Tt]|[ \t]+)(\d\d?):(\d\d):(\d\d)(?:\.(\d+))?[ \t]*(Z|[+-]\d\d?(?::?\d\d)?)?)?$/;

/** The `MarshalText` form of a plain YAML timestamp, or undefined when `text` is not one. */
export function goTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "00", s = "00", frac, zone] = m;
  const pad = (v: string | undefined) => (v ?? "0").padStart(2, "0");
  const date = `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${mi}:${s}`;
  const fraction = frac ? `.${frac.slice(0, 9)}`.replace(/0+$/, "").replace(/\.$/, "") : "";
  let offset = "Z";
  if (zone && zone !== "Z") {
    const zm = /^([+-])(\d\d?)(?::?(\d\d))?$/.exec(zone);
    const hours = pad(zm?.[2]);
    const minutes = zm?.[3] ?? "00";
    offset = hours === "00" && minutes === "00" ? "Z" : `${zm?.[1]}${hours}:${minutes}`;
  }
  return `${date}${fraction}${offset}`;
}
