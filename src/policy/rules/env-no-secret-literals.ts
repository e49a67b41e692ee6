import { list, record, text } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import type { Violation } from "../types.ts";
import { podTemplateKinds } from "../workload.ts";

/** Names that announce a credential. */
const secretName = /(PASSW(OR)?D|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|ACCESS_?KEY)$/i;
/** Values that are credentials whatever the variable is called. */
const secretValue = [
  /^AKIA[0-9A-Z]{16}$/, // AWS access key ID
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^gh[pousr]_[A-Za-z0-9]{36,}$/, // GitHub token
  /^xox[abpr]-[A-Za-z0-9-]{10,}$/, // Slack token
  /^sk_live_[A-Za-z0-9]{16,}$/, // Stripe live key
];
/** Literal values that are obviously not secrets: empty, placeholders, references. */
const harmless = /^(|changeme|true|false|none|null|\$\(.*\)|\$\{.*\})$/i;

export const envNoSecretLiterals = defineRule({
  id: "env-no-secret-literals",
  title: "No secret-looking literals in env",
  rationale:
    "A credential written into a manifest lands in git, in `kubectl get -o yaml`, in CI logs and in every copy of the chart.",
  severity: "error",
  hint: "Reference a Secret with env[].valueFrom.secretKeyRef (Slipway secrets render to one) instead of a literal value.",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) => {
      const out: Violation[] = [];
      list(c.container.env).forEach((e, j) => {
        const env = record(e);
        const name = text(env?.name) ?? "";
        const value = text(env?.value);
        if (value === undefined || harmless.test(value)) return;
        if (secretName.test(name) || secretValue.some((p) => p.test(value))) {
          out.push({
            path: `${c.path}.env[${j}].value`,
            message: `container ${quoted(c.name)} sets ${quoted(name)} to a literal that looks like a secret`,
          });
        }
      });
      return out.length > 0 ? out : undefined;
    }),
  examples: {
    pass: [
      changed(deployment(), (d) => {
        firstContainer(d).env = [
          { name: "LOG_LEVEL", value: "info" },
          { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        ];
      }),
    ],
    fail: [
      changed(deployment(), (d) => {
        firstContainer(d).env = [{ name: "DB_PASSWORD", value: "hunter2" }];
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].env[0].value",
      message: 'container "app" sets "DB_PASSWORD" to a literal that looks like a secret',
    },
  },
});
