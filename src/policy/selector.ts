/**
 * Label selector semantics, as the API server applies them: `matchLabels` and `matchExpressions`
 * (In, NotIn, Exists, DoesNotExist), all ANDed. An empty selector selects everything.
 */
import { list, record, stringMap, text } from "./access.ts";

export function matchesLabelSelector(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const sel = record(selector);
  if (sel === undefined) return false;
  if (!matchesMap(stringMap(sel.matchLabels), labels)) return false;
  for (const e of list(sel.matchExpressions)) {
    const expr = record(e);
    const key = text(expr?.key);
    if (expr === undefined || key === undefined) return false;
    const values = list(expr.values).filter((v): v is string => typeof v === "string");
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (expr.operator) {
      case "In":
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A plain map selector (Service `spec.selector`): every pair must be present. */
export function matchesMap(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
) {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}
