/**
 * The pod-level parts of `slipway.yaml`: volumes, init containers and sidecars, environment by
 * reference, RBAC, placement, pull secrets, metrics and the disruption budget. They apply to every
 * pod the app renders; `app-schema.ts` spreads `podBodyShape` into the app's fields.
 *
 * Most apps write few of these, so the schemas under the fields are built on first use
 * (`lazily`, see common-schema.ts): a spec without volumes never builds the volume schema.
 */
import { z } from "zod";
import {
  dnsLabel,
  envName,
  labelMap,
  labelValueSchema,
  lazily,
  limitsBelowRequests,
  percentOrCount,
  positiveQuantity,
  QUALIFIED_NAME,
  quantity,
  quantityValue,
} from "./common-schema.ts";

/** A Kubernetes object name (DNS subdomain), e.g. a Secret an operator or External Secrets writes. */
export const objectName = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    "must be a Kubernetes object name: lowercase letters, digits, '-' and '.'",
  );

/** A key of a Secret or ConfigMap. */
const dataKey = z
  .string()
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret or ConfigMap key: letters, digits, '-', '_' or '.'");

export const absolutePath = z
  .string()
  .startsWith("/", "must be an absolute path in the container")
  .refine((p) => !p.split("/").includes(".."), "may not contain '..'");

/** Names the renderer gives its own volumes; a user volume of that name would collide. */
export const RESERVED_VOLUME_NAMES = ["tmp", "config"];

const projectedItem = lazily(() =>
  z.strictObject({
    key: dataKey,
    path: z
      .string()
      .min(1)
      .refine(
        (p) => !p.startsWith("/") && !p.startsWith("..") && !p.split("/").includes(".."),
        "must be a relative path that neither holds nor starts with '..'",
      ),
    mode: z.number().int().min(0).max(0o777).optional(),
  }),
);

const projectedSource = lazily(() =>
  z
    .strictObject({
      secret: objectName
        .optional()
        .describe("A Secret's name, e.g. one an operator or External Secrets writes."),
      configMap: objectName.optional().describe("A ConfigMap's name."),
      items: z
        .array(projectedItem)
        .min(1)
        .optional()
        .describe("Only these keys, at these paths; all keys when omitted."),
      optional: z.boolean().optional(),
    })
    .refine((s) => (s.secret === undefined) !== (s.configMap === undefined), {
      message: "a projected source needs exactly one of secret or configMap",
    }),
);

const accessMode = lazily(() =>
  z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"]),
);

const volume = lazily(() =>
  z
    .strictObject({
      name: dnsLabel
        .max(40)
        .refine(
          (n) => !RESERVED_VOLUME_NAMES.includes(n) && !n.startsWith("secret-"),
          "`tmp`, `config` and `secret-…` name Slipway's own volumes; choose another name",
        ),
      mountPath: absolutePath,
      readOnly: z.boolean().optional(),
      emptyDir: z
        .strictObject({
          medium: z
            .literal("Memory")
            .optional()
            .describe("Memory: a tmpfs, counted against the memory limit."),
          sizeLimit: quantity.optional(),
        })
        .optional()
        .describe(
          "Scratch space that lives as long as the pod: a writable path on a read-only root filesystem.",
        ),
      persistent: z
        .strictObject({
          size: positiveQuantity.describe("Requested storage, e.g. 10Gi."),
          accessMode: accessMode.optional().describe("Default ReadWriteOnce."),
          storageClass: objectName.optional().describe("Default: the cluster's default StorageClass."),
          keep: z
            .boolean()
            .optional()
            .describe(
              "Default true: the claim (and its data) survives when it leaves the spec; set false, deploy, then remove it to delete the data.",
            ),
        })
        .optional()
        .describe("A PersistentVolumeClaim the app owns, named <app>-<volume name>."),
      projected: z
        .array(projectedSource)
        .min(1)
        .optional()
        .describe("Keys of Secrets and ConfigMaps, gathered in one read-only directory."),
    })
    .refine((v) => [v.emptyDir, v.persistent, v.projected].filter((x) => x !== undefined).length === 1, {
      message: "a volume needs exactly one of emptyDir, persistent or projected",
    })
    .superRefine((v, ctx) => {
      // The API server refuses two sources writing one file of the directory.
      const seen = new Set<string>();
      (v.projected ?? []).forEach((source, i) => {
        (source.items ?? []).forEach((item, j) => {
          const path = item.path.replace(/\/+$/, "");
          if (seen.has(path))
            ctx.addIssue({
              code: "custom",
              path: ["projected", i, "items", j, "path"],
              message: `\`${item.path}\` is already written by another item of this volume; give each key its own path`,
            });
          seen.add(path);
        });
      });
    }),
);

const FIELD_PATHS =
  /^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)\['[^']+'\]|spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$/;

const CPU_DIVISORS = ["1m", "1"];
const BYTE_DIVISORS = ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];

/** An environment variable read from somewhere else at run time instead of written in the spec. */
export const envRef = z
  .strictObject({
    secret: objectName.optional().describe("A Secret's name (one Slipway does not own, e.g. an operator's)."),
    configMap: objectName.optional().describe("A ConfigMap's name."),
    key: dataKey.optional().describe("The key in that Secret or ConfigMap."),
    optional: z.boolean().optional(),
    field: z
      .string()
      .regex(FIELD_PATHS, "must be a pod field such as status.podIP, metadata.name or metadata.labels['x']")
      .optional()
      .describe("The downward API: status.podIP, metadata.name, metadata.namespace, spec.nodeName …"),
    resource: z
      .enum([
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
      ])
      .optional()
      .describe("The container's own request or limit, e.g. limits.memory."),
    divisor: quantity.optional().describe("With resource: the unit, e.g. 1Mi."),
  })
  .superRefine((r, ctx) => {
    const kinds = [r.secret, r.configMap, r.field, r.resource].filter((x) => x !== undefined).length;
    if (kinds !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          "an env reference needs exactly one of { secret: <name>, key: <key> }, { configMap: <name>, key: <key> }, { field: status.podIP } or { resource: limits.memory } (Slipway's form of Kubernetes' valueFrom)",
      });
      return;
    }
    if ((r.secret !== undefined || r.configMap !== undefined) !== (r.key !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["key"],
        message: "secret and configMap need a key, and only they take one",
      });
    }
    if (r.divisor !== undefined && r.resource === undefined)
      ctx.addIssue({ code: "custom", path: ["divisor"], message: "divisor goes with resource" });
    if (r.divisor !== undefined && r.resource !== undefined) {
      const allowed = r.resource.endsWith(".cpu") ? CPU_DIVISORS : BYTE_DIVISORS;
      if (!allowed.some((d) => quantityValue(d) === quantityValue(r.divisor as string)))
        ctx.addIssue({
          code: "custom",
          path: ["divisor"],
          message: `the API server takes only ${allowed.join(", ")} as the divisor of ${r.resource}`,
        });
    }
    const subscript = r.field === undefined ? undefined : /\['([^']+)'\]$/.exec(r.field)?.[1];
    if (subscript !== undefined && !QUALIFIED_NAME.test(subscript))
      ctx.addIssue({
        code: "custom",
        path: ["field"],
        message: `\`${subscript}\` is not a valid label or annotation key, so no pod has it`,
      });
    if (r.optional !== undefined && r.key === undefined)
      ctx.addIssue({ code: "custom", path: ["optional"], message: "optional goes with secret or configMap" });
  })
  .describe("A value from a Secret or ConfigMap key, a pod field or a resource limit.");

const envValue = z.union([z.union([z.string(), z.number(), z.boolean()]).transform(String), envRef]);

export const envMap = z.record(envName, envValue);

const envFromSource = lazily(() =>
  z
    .strictObject({
      secret: objectName.optional(),
      configMap: objectName.optional(),
      prefix: z
        .string()
        .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, "must be the start of an environment variable name")
        .optional(),
      optional: z.boolean().optional(),
    })
    .refine((s) => (s.secret === undefined) !== (s.configMap === undefined), {
      message: "envFrom needs exactly one of secret or configMap",
    }),
);

const resourceList = lazily(() => z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }));

const extraContainerShape = () => ({
  name: dnsLabel.max(50),
  image: z
    .string()
    .regex(
      /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/,
      "must be an image reference such as registry.example.com/tool:1.2 or …@sha256:<digest>",
    )
    .optional()
    .describe("Default: the app's own image (the release's digest)."),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: envMap.optional().describe("Added to (or replacing) the app's variables when appEnv is on."),
  appEnv: z
    .boolean()
    .optional()
    .describe(
      "Receive the app's env, secrets and envFrom; default true with the app's image, false with another.",
    ),
  resources: z
    .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
    .superRefine(limitsBelowRequests)
    .optional()
    .describe("Default: the app's resources."),
  volumes: z
    .array(dnsLabel)
    .optional()
    .describe("Names of the app's volumes to mount at their mountPath (the built-in /tmp always is)."),
});

const initContainer = lazily(() => z.strictObject(extraContainerShape()));

const sidecar = lazily(() =>
  z.strictObject({
    ...extraContainerShape(),
    ports: z
      .array(
        z.strictObject({
          name: dnsLabel.max(15),
          port: z.number().int().min(1).max(65535),
          protocol: z.enum(["TCP", "UDP"]).optional(),
        }),
      )
      .superRefine((ports, ctx) => {
        ports.forEach((p, i) => {
          if (ports.findIndex((o) => o.name === p.name) < i)
            ctx.addIssue({
              code: "custom",
              path: [i, "name"],
              message: `port name \`${p.name}\` is already used in this container; the API server refuses a repeat`,
            });
        });
      })
      .optional()
      .describe("Ports the sidecar listens on (not in the Service)."),
  }),
);

const policyRule = lazily(() =>
  z.strictObject({
    apiGroups: z.array(z.string()).min(1).describe('"" is the core group.'),
    resources: z.array(z.string().min(1)).min(1),
    verbs: z.array(z.string().min(1)).min(1),
    resourceNames: z.array(z.string().min(1)).optional(),
  }),
);

const toleration = lazily(() =>
  z
    .strictObject({
      key: z
        .string()
        .regex(QUALIFIED_NAME, "must be a taint key such as dedicated or example.com/gpu")
        .optional()
        .describe("Omitted: every taint (with operator Exists)."),
      operator: z.enum(["Exists", "Equal"]).optional().describe("Default Equal."),
      value: labelValueSchema.optional(),
      effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
      tolerationSeconds: z.number().int().optional(),
    })
    // The API server's own rules for a toleration.
    .superRefine((t, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.addIssue({ code: "custom", path: [path], message });
      if (t.key === undefined && t.operator !== "Exists")
        issue("operator", "a toleration without a key tolerates every taint: it needs operator: Exists");
      if (t.operator === "Exists" && t.value !== undefined && t.value !== "")
        issue("value", "operator Exists matches every value: leave value out, or use operator: Equal");
      if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute")
        issue("tolerationSeconds", "tolerationSeconds goes with effect: NoExecute only");
    }),
);

const spreadConstraint = lazily(() =>
  z.strictObject({
    topologyKey: z.string().min(1),
    maxSkew: z.number().int().min(1).optional().describe("Default 1."),
    whenUnsatisfiable: z
      .enum(["ScheduleAnyway", "DoNotSchedule"])
      .optional()
      .describe("Default ScheduleAnyway."),
  }),
);

/**
 * Kubernetes' affinity, field for field as in a pod spec, with the API server's rules: a term list
 * that may not be empty, operators and their values, weights 1–100, a topology key on every pod
 * term. It was free-form, and what the API server refuses (an empty nodeSelectorTerms) validated.
 */
const requirement = (operators: readonly [string, ...string[]]) =>
  z
    .strictObject({
      key: z.string().regex(QUALIFIED_NAME, "must be a label key such as kubernetes.io/arch"),
      operator: z.enum(operators),
      values: z.array(z.string()).optional(),
    })
    .superRefine((r, ctx) => {
      const values = r.values ?? [];
      const issue = (message: string) => ctx.addIssue({ code: "custom", path: ["values"], message });
      if ((r.operator === "In" || r.operator === "NotIn") && values.length === 0)
        issue(`operator ${r.operator} needs at least one value`);
      if ((r.operator === "Exists" || r.operator === "DoesNotExist") && values.length > 0)
        issue(`operator ${r.operator} takes no values`);
      if (
        (r.operator === "Gt" || r.operator === "Lt") &&
        (values.length !== 1 || !/^-?[0-9]+$/.test(values[0] ?? ""))
      )
        issue(`operator ${r.operator} takes exactly one whole number`);
    });
const NODE_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;
const nodeSelectorTerm = lazily(() =>
  z.strictObject({
    matchExpressions: z.array(requirement(NODE_OPERATORS)).optional(),
    matchFields: z
      .array(
        z.strictObject({
          key: z.literal("metadata.name", { error: "the only node field to match is metadata.name" }),
          operator: z.enum(["In", "NotIn"]),
          values: z.array(z.string()).length(1, "matches exactly one node name"),
        }),
      )
      .optional(),
  }),
);
const weight = lazily(() => z.number().int().min(1).max(100));
const nodeAffinity = lazily(() =>
  z.strictObject({
    requiredDuringSchedulingIgnoredDuringExecution: z
      .strictObject({
        nodeSelectorTerms: z
          .array(nodeSelectorTerm)
          .min(1, "needs at least one term (a node must match one)"),
      })
      .optional(),
    preferredDuringSchedulingIgnoredDuringExecution: z
      .array(z.strictObject({ weight, preference: nodeSelectorTerm }))
      .optional(),
  }),
);
const labelSelector = lazily(() =>
  z.strictObject({
    matchLabels: labelMap.optional(),
    matchExpressions: z.array(requirement(["In", "NotIn", "Exists", "DoesNotExist"])).optional(),
  }),
);
const podAffinityTerm = lazily(() =>
  z
    .strictObject({
      labelSelector: labelSelector.optional(),
      namespaceSelector: labelSelector.optional(),
      namespaces: z.array(dnsLabel).optional(),
      topologyKey: z
        .string()
        .regex(QUALIFIED_NAME, "must be a node label key such as kubernetes.io/hostname"),
      matchLabelKeys: z.array(z.string().regex(QUALIFIED_NAME, "must be a label key")).optional(),
      mismatchLabelKeys: z.array(z.string().regex(QUALIFIED_NAME, "must be a label key")).optional(),
    })
    .superRefine((t, ctx) => {
      for (const field of ["matchLabelKeys", "mismatchLabelKeys"] as const)
        if (t[field]?.length && t.labelSelector === undefined)
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: `${field} needs a labelSelector beside it`,
          });
    }),
);
const podAffinity = lazily(() =>
  z.strictObject({
    requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
    preferredDuringSchedulingIgnoredDuringExecution: z
      .array(z.strictObject({ weight, podAffinityTerm }))
      .optional(),
  }),
);

/** A count, or a percentage of the pods: at most 100%, as the API server says. */
const budgetValue = lazily(() =>
  percentOrCount.refine(
    (v) => typeof v === "number" || Number.parseInt(v, 10) <= 100,
    "a percentage of the pods is at most 100%",
  ),
);

export const podBodyShape = {
  volumes: z.array(volume).optional(),
  initContainers: z
    .array(initContainer)
    .optional()
    .describe("Run to completion, in order, before the app starts; the app's image by default."),
  sidecars: z
    .array(sidecar)
    .optional()
    .describe("Run beside the app for the pod's life (native sidecars: Kubernetes 1.29 or later)."),
  envFrom: z.array(envFromSource).optional().describe("Every key of a Secret or ConfigMap as variables."),
  imagePullSecrets: z
    .array(objectName)
    .optional()
    .describe("Secrets (in the namespace) to pull images with."),
  placement: z
    .strictObject({
      nodeSelector: labelMap.optional().describe("Node labels the pods need."),
      tolerations: z.array(toleration).optional(),
      affinity: z
        .strictObject({
          nodeAffinity: nodeAffinity.optional(),
          podAffinity: podAffinity.optional(),
          podAntiAffinity: podAffinity.optional(),
        })
        .optional()
        .describe("Kubernetes affinity, as written in a pod spec."),
      topologySpread: z
        .array(spreadConstraint)
        .superRefine((list, ctx) => {
          list.forEach((c, i) => {
            const same = (o: typeof c) =>
              o.topologyKey === c.topologyKey &&
              (o.whenUnsatisfiable ?? "ScheduleAnyway") === (c.whenUnsatisfiable ?? "ScheduleAnyway");
            if (list.findIndex(same) < i)
              ctx.addIssue({
                code: "custom",
                path: [i, "topologyKey"],
                message: `spreads over \`${c.topologyKey}\` a second time; the API server takes one constraint per key and whenUnsatisfiable`,
              });
          });
        })
        .optional()
        .describe("Replaces the default spread over nodes (and zones in production); [] for none."),
    })
    .optional(),
  rbac: z
    .strictObject({
      rules: z.array(policyRule).optional().describe("A Role in the app's namespace, bound to its account."),
      clusterRoles: z
        .array(
          z
            .string()
            .max(253)
            .regex(
              /^[a-z0-9]([-a-z0-9:.]*[a-z0-9])?$/,
              "must be a ClusterRole's name, e.g. view or system:aggregate-to-view",
            ),
        )
        .optional()
        .describe("Existing ClusterRoles (e.g. view) bound in the app's namespace only."),
      clusterRules: z
        .array(policyRule)
        .optional()
        .describe("A ClusterRole across the cluster: only where the platform file's rbac grants it."),
    })
    .optional(),
  metrics: z
    .strictObject({
      port: z
        .union([z.number().int().min(1).max(65535), dnsLabel.max(15)])
        .describe("A declared port, by name or number."),
      path: z.string().startsWith("/").optional().describe("Default /metrics."),
      interval: z
        .string()
        .regex(/^[0-9]+(s|m)$/, "must be a duration such as 30s or 1m")
        .optional(),
    })
    .optional()
    .describe(
      "Where Prometheus scrapes the app: annotations, a ServiceMonitor where the cluster has one, and a NetworkPolicy opening.",
    ),
  disruptionBudget: z
    .strictObject({
      enabled: z.boolean().optional().describe("Default: a budget when two or more pods run."),
      maxUnavailable: budgetValue.optional(),
      minAvailable: budgetValue.optional(),
    })
    .refine((b) => b.maxUnavailable === undefined || b.minAvailable === undefined, {
      message: "set maxUnavailable or minAvailable, not both",
    })
    .optional(),
};
