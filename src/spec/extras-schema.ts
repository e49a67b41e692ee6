/**
 * The escape hatch of `slipway.yaml`: raw Kubernetes objects (`manifests`) and patches of the
 * rendered ones (`patches`), so that a field Slipway does not model never blocks an app. Both are
 * maps keyed by a name of the user's choosing, so an environment override adds an entry, changes
 * one (maps merge) or removes one (`null`), as everywhere else in the file.
 *
 * What is checked here is the shape alone; the scope (namespace, kinds the platform allows, names
 * of the app) and the Kubernetes schema of the result are checked when rendering (render/extras.ts).
 * Few apps need the escape hatch: its schemas are built on first use (`lazily`, see common-schema.ts).
 */
import { z } from "zod";
import { dnsLabel, labelMap, lazily } from "./common-schema.ts";
import { objectName } from "./pod-schema.ts";

/** Labels under this prefix are Slipway's own: ownership, pruning and policy depend on them. */
export const SLIPWAY_LABEL_PREFIX = "slipway.dev/";

const entryName = dnsLabel.max(40, "at most 40 characters");
const kindName = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, "must be a Kubernetes kind such as Deployment");
const apiVersion = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/,
    "must be an apiVersion such as v1, apps/v1 or monitoring.coreos.com/v1",
  );

/**
 * A raw object. A map of anything (not a zod object) so that an override may hold a part of it and
 * merge into it; its few required fields are checked by hand, each at its own path.
 */
const manifest = lazily(() =>
  z
    .record(z.string(), z.unknown())
    .superRefine((object, ctx) => {
      const issue = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: "custom", path, message });
      if (!apiVersion.safeParse(object.apiVersion).success)
        issue(["apiVersion"], "needs an apiVersion such as v1, apps/v1 or monitoring.coreos.com/v1");
      if (!kindName.safeParse(object.kind).success) issue(["kind"], "needs a kind such as ConfigMap");
      if (object.kind === "Secret")
        issue(
          ["kind"],
          "a Secret's values would sit in slipway.yaml in plain text: put them in a SOPS file under `secrets:` (slipway secrets edit), or reference a Secret someone else writes with env or volumes",
        );
      if (object.kind === "List") issue(["kind"], "write each object of the List as its own entry");
      const meta = object.metadata;
      if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
        issue(["metadata"], "needs metadata with a name");
        return;
      }
      const m = meta as Record<string, unknown>;
      if (!objectName.safeParse(m.name).success)
        issue(["metadata", "name"], "needs a name: lowercase letters, digits, '-' and '.'");
      if (m.generateName !== undefined)
        issue(
          ["metadata", "generateName"],
          "give the object a name: Slipway applies, prunes and diffs by name",
        );
      if (m.namespace !== undefined && !dnsLabel.safeParse(m.namespace).success)
        issue(["metadata", "namespace"], "must be a namespace name (a DNS label); omit it for the app's own");
      for (const field of ["labels", "annotations"] as const) {
        const map = m[field];
        if (map === undefined) continue;
        const checked = (field === "labels" ? labelMap : z.record(z.string(), z.string())).safeParse(map);
        if (!checked.success) {
          issue(
            ["metadata", field],
            `must be a map of ${field === "labels" ? "valid label keys and values" : "strings"}`,
          );
          continue;
        }
        for (const key of Object.keys(checked.data)) {
          if (field === "labels" && key.startsWith(SLIPWAY_LABEL_PREFIX))
            issue(
              ["metadata", field, key],
              `${SLIPWAY_LABEL_PREFIX}* labels are Slipway's own; it sets them`,
            );
        }
      }
      if (object.status !== undefined) issue(["status"], "the cluster writes status; leave it out");
    })
    .describe(
      "A Kubernetes object added as it is: it lands in the app's namespace with the app's labels, and is checked by policy and its schema.",
    ),
);

const jsonPointer = lazily(() =>
  z.string().regex(/^(\/([^~]|~[01])*)*$/, "must be a JSON Pointer such as /spec/template/spec/hostNetwork"),
);

const jsonPatchOperation = lazily(() =>
  z
    .strictObject({
      op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
      path: jsonPointer,
      from: jsonPointer.optional().describe("For move and copy: where the value comes from."),
      value: z.unknown().optional().describe("For add, replace and test."),
    })
    .superRefine((o, ctx) => {
      const needsValue = o.op === "add" || o.op === "replace" || o.op === "test";
      if (needsValue !== "value" in o)
        ctx.addIssue({
          code: "custom",
          path: needsValue ? [] : ["value"],
          message: needsValue ? `\`${o.op}\` needs a value` : `\`${o.op}\` takes no value`,
        });
      const needsFrom = o.op === "move" || o.op === "copy";
      if (needsFrom !== (o.from !== undefined))
        ctx.addIssue({
          code: "custom",
          path: needsFrom ? [] : ["from"],
          message: needsFrom ? `\`${o.op}\` needs from` : `\`${o.op}\` takes no from`,
        });
    }),
);

const patch = lazily(() =>
  z
    .strictObject({
      target: z
        .strictObject({
          kind: kindName,
          name: objectName
            .optional()
            .describe(
              "The rendered object's name (kubectl get … shows it); every object of the kind when omitted.",
            ),
        })
        .describe("Which rendered objects (or manifests) the patch changes; it must match at least one."),
      strategicMerge: z
        .record(z.string(), z.unknown())
        .optional()
        .describe(
          "Merged into the object as kubectl's strategic merge does: maps merge, `null` removes a key, lists of containers, env, volumes, ports … merge by name (or port, mountPath), other lists replace; `$patch: delete` in a list item removes it.",
        ),
      jsonPatch: z
        .array(jsonPatchOperation)
        .min(1)
        .optional()
        .describe("RFC 6902 operations (add, remove, replace, move, copy, test), applied in order."),
    })
    .refine((p) => (p.strategicMerge === undefined) !== (p.jsonPatch === undefined), {
      message: "a patch needs exactly one of strategicMerge or jsonPatch",
    })
    .describe("A change to a rendered object, applied after rendering and checked like every object."),
);

export const extrasShape = {
  manifests: z
    .record(entryName, manifest)
    .optional()
    .describe("The escape hatch: Kubernetes objects Slipway does not render, by a name of your choosing."),
  patches: z
    .record(entryName, patch)
    .optional()
    .describe(
      "The escape hatch: patches of the rendered objects, by a name of your choosing, applied in order.",
    ),
};

/** The platform's word on raw manifests beyond namespaced objects in the app's own namespace. */
export const rawManifestsPlatformSchema = z
  .strictObject({
    allow: z
      .array(
        z.strictObject({
          kind: kindName.describe("e.g. ClusterRole, or a CRD's kind."),
          namespaces: z
            .array(dnsLabel)
            .optional()
            .describe("Namespaces besides the app's where objects of this kind may go, e.g. monitoring."),
          team: dnsLabel.optional().describe("Only this team's apps; every team when omitted."),
          apps: z.array(dnsLabel).optional().describe("Only these apps; all of the team when omitted."),
        }),
      )
      .optional()
      .describe(
        "Kinds an app's manifests may hold cluster-wide (when the kind is cluster-scoped) or in the namespaces named.",
      ),
  })
  .describe("What the escape hatch (an app's manifests) may reach beyond the app's namespace.");
