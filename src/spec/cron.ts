/**
 * A CronJob's schedule as the API server reads it (the standard five-field parser it uses):
 * minute, hour, day of month, month, day of week; each field a list of `*`, `?`, `a`, `a-b`,
 * with an optional `/step`; months and days of week also by name (`jan`, `mon`). A schedule the
 * server cannot parse is refused at `validate` with the server's reason, not at deploy.
 */

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

const DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** Why the API server would refuse `schedule`, or undefined when it parses. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const text = schedule.trim();
  if (text.startsWith("@")) {
    return DESCRIPTORS.includes(text) ? undefined : `\`${text}\` is not one of ${DESCRIPTORS.join(", ")}`;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    return `has ${parts.length} fields; a schedule has five: minute, hour, day of month, month, day of week`;
  }
  for (const [i, field] of FIELDS.entries()) {
    for (const item of (parts[i] as string).split(",")) {
      const why = itemProblem(item, field);
      if (why !== undefined) return `${field.name} \`${parts[i]}\`: ${why}`;
    }
  }
  return undefined;
}

function itemProblem(item: string, field: Field): string | undefined {
  const [range = "", step, ...more] = item.split("/");
  if (more.length > 0) return `\`${item}\` has more than one /`;
  const bounds = range.split("-");
  if (bounds.length > 2) return `\`${range}\` has more than one -`;
  let start: number;
  let end: number;
  if (range === "*" || range === "?") {
    start = field.min;
    end = field.max;
  } else {
    const low = value(bounds[0] as string, field);
    if (typeof low === "string") return low;
    start = low;
    end = low;
    if (bounds.length === 2) {
      const high = value(bounds[1] as string, field);
      if (typeof high === "string") return high;
      end = high;
    }
  }
  if (step !== undefined) {
    if (!/^\+?[0-9]+$/.test(step)) return `step \`${step}\` is not a number`;
    if (Number(step) === 0) return "a step must be a positive number";
    // `5/15` means from 5 to the end, every 15.
    if (bounds.length === 1) end = field.max;
  }
  if (start < field.min) return `${start} is below the minimum (${field.min})`;
  if (end > field.max) return `${end} is above the maximum (${field.max})`;
  if (start > end) return `the range starts after it ends (${start} > ${end})`;
  return undefined;
}

function value(text: string, field: Field): number | string {
  const byName = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (byName !== -1) return byName + field.min;
  if (!/^\+?[0-9]+$/.test(text)) {
    const names = field.names ? ` or a name (${field.names.slice(0, 3).join(", ")} …)` : "";
    return `\`${text}\` is not a number${names}`;
  }
  return Number(text);
}
