/**
 * `slipway.yaml` (apiVersion slipway.dev/v1, kind App): the one description of a service.
 * The zod schema is the single source: the parser validates with it, the TypeScript types are
 * inferred from it, and the JSON Schema shipped in `schemas/` is generated from it.
 */
import { z } from "zod";
import { appPolicySchema } from "../policy/config.ts";
import {
  annotationMap,
  dnsLabel,
  labelMap,
  percentOrCount,
  quantity,
  quantityValue,
} from "./common-schema.ts";
import { extrasShape } from "./extras-schema.ts";
import { envMap, podBodyShape } from "./pod-schema.ts";
import { partProblems, workloadShapes } from "./workloads-schema.ts";

/** The API server refuses a ConfigMap whose values hold more than 1 MiB in all. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const portRef = z.union([z.number().int().min(1).max(65535), dnsLabel.max(15)]);

const probeTiming = {
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
};

export const probeSchema = z
  .strictObject({
    http: z
      .strictObject({
        path: z.string().startsWith("/", "must start with '/'"),
        port: portRef.optional().describe("A port name or number; the first port when omitted."),
        scheme: z.enum(["HTTP", "HTTPS"]).optional(),
        headers: z
          .record(
            z.string().regex(/^[-A-Za-z0-9]+$/, "must be an HTTP header name such as X-Probe"),
            z.string(),
          )
          .optional(),
      })
      .optional(),
    tcp: z.strictObject({ port: portRef.optional() }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    ...probeTiming,
  })
  .refine((p) => [p.http, p.tcp, p.exec].filter((x) => x !== undefined).length === 1, {
    message: "a probe needs exactly one of http, tcp or exec",
  })
  .describe("A health probe: exactly one of http, tcp or exec, plus optional timing.");

const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });

const resources = z
  .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
  .superRefine((r, ctx) => {
    for (const kind of ["cpu", "memory"] as const) {
      const request = r.requests?.[kind];
      const limit = r.limits?.[kind];
      if (request === undefined || limit === undefined) continue;
      if (quantityValue(limit) < quantityValue(request)) {
        ctx.addIssue({
          code: "custom",
          path: ["limits", kind],
          message: `limit ${limit} is below the request ${request}; the cluster refuses such a pod`,
        });
      }
    }
  });

const externalMetric = z.strictObject({
  metric: z.string().min(1).describe("External metric name, e.g. trace.rack.request.hits."),
  selector: z.record(z.string(), z.string()).optional().describe("Label selector of the metric series."),
  averageValue: quantity.describe("Target value per pod, e.g. 100 requests per pod."),
});

/**
 * Ingress `Prefix` and Gateway `PathPrefix` match path segments literally: `/api/*` would match
 * only a segment named `*`. The API server also refuses `//`, `/./`, `/../` and a trailing `/.`.
 */
const routePath = z
  .string()
  .startsWith("/", "must start with '/'")
  .refine((p) => !/[*?]/.test(p), {
    message:
      "paths are prefixes matched segment by segment: `*` matches only itself; write `/api` for everything under /api",
  })
  .refine((p) => !/\/\/|\/\.\.?(\/|$)|%2f/i.test(p), {
    message: "must not hold `//`, `/./`, `/../`, a trailing `/.` or `%2F` (the API server refuses them)",
  });

const route = z.strictObject({
  host: z
    .string()
    .regex(
      /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
      "must be a DNS host name",
    )
    .optional()
    .describe("Host name; when omitted the channel's domain gives <app>.<domain>."),
  paths: z.array(routePath).min(1).optional(),
  port: portRef.optional(),
  process: dnsLabel
    .optional()
    .describe("The process (under processes) whose Service this route reaches; the main one when omitted."),
  tls: z
    .union([z.boolean(), z.strictObject({ secretName: dnsLabel.max(253) })])
    .optional()
    .describe("true for TLS with a certificate Secret named after the route; or name the Secret."),
  protocol: z
    .enum(["http", "grpc"])
    .optional()
    .describe("grpc: a GRPCRoute with Gateway API, backend-protocol GRPC with ingress-nginx (default http)."),
  annotations: annotationMap
    .optional()
    .describe("On this route's Ingress or HTTPRoute, e.g. nginx.ingress.kubernetes.io/proxy-body-size."),
});

const secretFile = z.strictObject({
  name: dnsLabel
    .max(30)
    .refine((n) => n !== "tls" && !n.includes("--"), {
      message: "may not be `tls` (the certificate Secrets of routes end in -tls) nor hold `--`",
    })
    .describe("Short name; the Secret is <app>-<name>, or <app>--<name> when the name holds a dash."),
  file: z
    .string()
    .min(1)
    .describe("SOPS-encrypted file relative to slipway.yaml; override it per environment."),
  env: z.boolean().optional().describe("Expose every key as an environment variable (default true)."),
  mountPath: z.string().startsWith("/").optional().describe("Also mount the keys as files here."),
});

const configFile = z.strictObject({
  path: z
    .string()
    .startsWith("/", "must be an absolute path in the container")
    .refine((p) => !p.endsWith("/"), "must name a file, e.g. /etc/app/config.yaml, not a directory"),
  content: z.string(),
});

const dependency = z.strictObject({
  name: dnsLabel,
  type: z.enum([
    "mysql",
    "postgres",
    "redis",
    "rabbitmq",
    "mongodb",
    "kafka",
    "memcached",
    "elasticsearch",
    "nats",
  ]),
  version: z.string().optional(),
});

const mainShape = {
  image: z
    .strictObject({
      repository: z
        .string()
        .regex(
          /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
          "must be an image repository without tag or digest, e.g. registry.example.com/team/app",
        ),
      tag: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be an image tag")
        .optional(),
      pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    })
    .describe("The image repository; the release supplies the digest."),
  ports: z
    .array(
      z.strictObject({
        name: dnsLabel.max(15, "port names are at most 15 characters"),
        port: z.number().int().min(1).max(65535),
        protocol: z.enum(["TCP", "UDP"]).optional(),
        expose: z.boolean().optional().describe("Include in the Service (default true)."),
        servicePort: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .optional()
          .describe("The Service's port when it differs from the container's (default: port)."),
        appProtocol: z
          .string()
          .regex(
            /^([a-z0-9.-]+\/)?[a-z0-9][-a-z0-9_.]*$/,
            "must be an application protocol such as http, kubernetes.io/h2c or kubernetes.io/ws",
          )
          .optional()
          .describe(
            "The Service port's appProtocol (kubernetes.io/h2c for gRPC, kubernetes.io/ws for websockets).",
          ),
      }),
    )
    .superRefine(uniquePorts)
    .optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: envMap.optional(),
  configFiles: z
    .array(configFile)
    .superRefine((files, ctx) => {
      const bytes = files.reduce((sum, f) => sum + utf8Length(f.content), 0);
      if (bytes > MAX_CONFIG_BYTES) {
        ctx.addIssue({
          code: "custom",
          message: `config files hold ${bytes.toLocaleString("en-US")} bytes in all; a ConfigMap holds at most ${MAX_CONFIG_BYTES.toLocaleString("en-US")} (1 MiB)`,
        });
      }
    })
    .optional(),
  secrets: z
    .array(secretFile)
    .superRefine((files, ctx) => {
      files.forEach((f, i) => {
        const first = files.findIndex((g) => g.name === f.name);
        if (first < i)
          ctx.addIssue({
            code: "custom",
            path: [i, "name"],
            message: `secret \`${f.name}\` is already secrets[${first}]: one name, one Secret; give this one another name`,
          });
      });
    })
    .optional(),
  resources: resources.optional(),
  replicas: z.number().int().min(0).max(1000).optional(),
  autoscaling: z
    .strictObject({
      minReplicas: z.number().int().min(1),
      maxReplicas: z.number().int().min(1),
      cpu: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe("Target average CPU utilisation, percent of requests."),
      memory: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe("Target average memory utilisation, percent."),
      external: z.array(externalMetric).optional(),
    })
    .refine((a) => a.maxReplicas >= a.minReplicas, {
      message: "maxReplicas must be at least minReplicas",
      path: ["maxReplicas"],
    })
    .refine((a) => a.cpu !== undefined || a.memory !== undefined || (a.external?.length ?? 0) > 0, {
      message: "autoscaling needs at least one metric: cpu, memory or external",
    })
    .optional(),
  rollout: z
    .strictObject({
      maxSurge: percentOrCount.optional(),
      maxUnavailable: percentOrCount
        .refine(
          (v) => typeof v === "number" || Number.parseInt(v, 10) <= 100,
          "at most 100% of the pods can be unavailable",
        )
        .optional(),
      progressDeadlineSeconds: z.number().int().min(1).optional(),
      revisionHistoryLimit: z.number().int().min(0).optional(),
      minReadySeconds: z.number().int().min(0).optional(),
      strategy: z
        .enum(["RollingUpdate", "Recreate"])
        .optional()
        .describe(
          "Recreate stops every old pod before starting new ones (e.g. one writer of a ReadWriteOnce volume).",
        ),
    })
    .refine(
      (r) => r.strategy !== "Recreate" || (r.maxSurge === undefined && r.maxUnavailable === undefined),
      {
        message: "Recreate has no maxSurge or maxUnavailable; remove them or use RollingUpdate",
        path: ["strategy"],
      },
    )
    .refine(
      (r) => r.strategy === "Recreate" || !isZero(r.maxSurge ?? "25%") || !isZero(r.maxUnavailable ?? 0),
      {
        message:
          "maxSurge and maxUnavailable may not both be 0 (maxUnavailable defaults to 0): no pod could be replaced, and the API server refuses it",
        path: ["maxSurge"],
      },
    )
    .optional(),
  health: z
    .strictObject({
      readiness: probeSchema.optional(),
      liveness: probeSchema.optional(),
      startup: probeSchema.optional(),
    })
    .optional(),
  warmup: z
    .strictObject({ command: z.array(z.string()).min(1) })
    .optional()
    .describe("Runs in the container right after it starts (postStart), e.g. to warm caches."),
  shutdown: z
    .strictObject({
      preStopDelaySeconds: z.number().int().min(0).max(300).optional(),
      terminationGracePeriodSeconds: z.number().int().min(0).max(3600).optional(),
    })
    .optional(),
  routes: z.array(route).optional(),
  securityContext: z
    .strictObject({
      runAsNonRoot: z.boolean().optional(),
      runAsUser: z.number().int().min(0).optional(),
      runAsGroup: z.number().int().min(0).optional(),
      fsGroup: z.number().int().min(0).optional(),
      readOnlyRootFilesystem: z.boolean().optional(),
      allowPrivilegeEscalation: z.boolean().optional(),
      addCapabilities: z
        .array(z.string().regex(/^[A-Z_]+$/, "must be a capability such as NET_BIND_SERVICE"))
        .optional(),
    })
    .optional(),
  serviceAccount: z
    .strictObject({
      name: dnsLabel.optional(),
      automountToken: z.boolean().optional(),
      annotations: annotationMap.optional(),
    })
    .optional(),
  networkPolicy: z
    .strictObject({
      enabled: z.boolean().optional(),
      callers: z.array(dnsLabel).optional().describe("Apps allowed to call this one."),
    })
    .optional(),
  dependencies: z.array(dependency).optional(),
  labels: labelMap.optional(),
  annotations: annotationMap.optional(),
  policy: appPolicySchema.optional(),
  ...podBodyShape,
  ...extrasShape,
};

const appBodyShape = {
  ...mainShape,
  ...workloadShapes({
    env: mainShape.env,
    resources: mainShape.resources,
    ports: mainShape.ports,
    health: mainShape.health,
    replicas: mainShape.replicas,
    autoscaling: mainShape.autoscaling,
    rollout: mainShape.rollout,
  }),
};

const appBody = z.strictObject(appBodyShape);
export type AppBody = z.infer<typeof appBody>;

/** The environments map: `<channel>` or `preview` → a partial app body merged over the base. */
const environmentsSchema = z.record(
  z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a channel name or `preview`"),
  z.record(z.string(), z.unknown()).nullable(),
);

/** The app's fields; `appSpecSchema` adds the rules that span them. */
export const appSpecObject = z.strictObject({
  apiVersion: z.literal("slipway.dev/v1", { error: "must be slipway.dev/v1" }),
  kind: z.literal("App", { error: "must be App" }),
  // `-pr-` marks a preview in default names ({app}-pr-{branch}); an app name holding it, or ending
  // in `-pr`, could name another app's preview namespace (see render/target.ts).
  name: dnsLabel
    .max(40, "app names are at most 40 characters so derived names stay readable")
    .refine(
      (n) => !n.includes("-pr-") && !n.endsWith("-pr"),
      "app names may not hold `-pr-` nor end in `-pr`: that marks preview namespaces",
    )
    .refine(
      (n) => !n.includes("--"),
      "app names may not hold `--`: it separates an app from its parts in names (<app>--worker)",
    ),
  team: dnsLabel,
  description: z.string().optional(),
  ...appBodyShape,
  environments: environmentsSchema.optional(),
});

export const appSpecSchema = appSpecObject.superRefine((spec, ctx) => {
  // An app runs under its own account: one app naming another's would take over its identity.
  // `<app>-<suffix>` would be the account of app `<app>-<suffix>`; app names hold no `--`, so
  // `<app>--<suffix>` is no other app's.
  const account = spec.serviceAccount?.name;
  if (account !== undefined && account !== spec.name && !account.startsWith(`${spec.name}--`)) {
    const dashed = account.startsWith(`${spec.name}-`);
    const suffix = dashed ? account.slice(spec.name.length + 1) : "<suffix>";
    ctx.addIssue({
      code: "custom",
      path: ["serviceAccount", "name"],
      message: dashed
        ? `\`${account}\` is the default account of an app named ${account}: use \`${spec.name}--${suffix}\` (app names hold no \`--\`, so no other app has it)`
        : `\`${account}\` is not this app's account: use \`${spec.name}\` or \`${spec.name}--${suffix}\``,
    });
  }
  for (const issue of partProblems(spec)) ctx.addIssue({ code: "custom", ...issue });
});

export type AppSpec = z.infer<typeof appSpecSchema>;
/** Fields an environment may override: everything but identity. */
export const overridableFields = Object.keys(appBodyShape);
export { appBody };

/** Port names are unique, and so is each (port, protocol) pair in the container and in the Service. */
function uniquePorts(
  ports: readonly {
    name: string;
    port: number;
    protocol?: string | undefined;
    servicePort?: number | undefined;
    expose?: boolean | undefined;
  }[],
  ctx: z.core.$RefinementCtx,
): void {
  const seen = new Map<string, number>();
  ports.forEach((p, i) => {
    const protocol = p.protocol ?? "TCP";
    const keys: [string, string, string][] = [
      [
        `name ${p.name}`,
        "name",
        `port name \`${p.name}\` is already used by ports[${seen.get(`name ${p.name}`)}]`,
      ],
      [
        `container ${p.port}/${protocol}`,
        "port",
        `${p.port}/${protocol} is already the container port of ports[${seen.get(`container ${p.port}/${protocol}`)}]`,
      ],
    ];
    if (p.expose !== false) {
      const sp = p.servicePort ?? p.port;
      keys.push([
        `service ${sp}/${protocol}`,
        p.servicePort === undefined ? "port" : "servicePort",
        `${sp}/${protocol} is already a Service port (ports[${seen.get(`service ${sp}/${protocol}`)}])`,
      ]);
    }
    const reported = new Set<string>();
    for (const [key, field, message] of keys) {
      if (!seen.has(key)) seen.set(key, i);
      else if (!reported.has(field)) {
        reported.add(field);
        ctx.addIssue({
          code: "custom",
          path: [i, field],
          message: `${message}; the API server refuses a repeat`,
        });
      }
    }
  });
}

/** `0`, `"0"` or `"0%"`: a rolling update step of nothing. */
function isZero(value: number | string): boolean {
  return value === 0 || /^0+%?$/.test(String(value));
}

/** Bytes of `text` in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
