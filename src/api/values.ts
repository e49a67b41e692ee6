/**
 * The scalar vocabulary of the HTTP API: names, ids, timestamps, roles and statuses as they travel
 * on the wire. The API contract owns these; the store validates its rows with its own schemas, and
 * the routes, which hand store rows to these schemas, fail to type-check when the two drift.
 */
import { z } from "zod";
import { appSpecSchema } from "../spec/app-schema.ts";

/** Lower-case DNS-label style names: they end up in namespaces, URLs and file names. */
export const nameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
    message: "must be 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit",
  });

/**
 * What `slipway.yaml` accepts as an app's name, taken from its schema: an app registered here must
 * be one a spec can name (the 63-character names fit teams and targets, not apps).
 */
export const appNameSchema = appSpecSchema.shape.name;

/** Fixed-width ISO-8601 UTC text. */
export const timestampSchema = z.iso.datetime();

/** Ids Slipway mints: a three- or four-letter kind and 28 hex digits (`app_…`, `rel_…`). */
export const idSchema = z.string().regex(/^[a-z]{3,4}_[0-9a-f]{28}$/, { message: "is not a Slipway id" });

export const roleSchema = z.enum(["viewer", "developer", "releaser", "admin"]);
export const tokenScopeSchema = z.enum(["api", "metrics"]);
export const targetKindSchema = z.enum(["channel", "preview"]);
/**
 * A deployment's life: pending → rendering → applying → progressing → available, or failed,
 * superseded or rolled-back (final).
 */
export const deploymentStatusSchema = z.enum([
  "pending",
  "rendering",
  "applying",
  "progressing",
  "available",
  "failed",
  "superseded",
  "rolled-back",
]);

export const commitShaSchema = z
  .string()
  .regex(/^[0-9a-f]{7,64}$/, { message: "must be a hex git commit id" });
export const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: "must be sha256:<64 hex>" });
export const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, { message: "must be a hex SHA-256" });
