import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { creationRuleFor, parseSopsConfig, storeIndent } from "./creation-rules.ts";

const vectorsDir = new URL("./testdata/sops-vectors/", import.meta.url);

const config = parseSopsConfig(
  `creation_rules:
  - path_regex: prod/.*\\.yaml$
    encrypted_regex: ^(data|stringData)$
    key_groups:
      - age: [age1prodxxxx]
        hc_vault: [https://vault.example:8200/v1/transit/team/keys/prod]
        kms:
          - arn: arn:aws:kms:eu-west-1:111122223333:key/abc
            role: arn:aws:iam::111122223333:role/sops
            context: { app: web }
  - path_regex: \\.env$
    age: age1aaaa, age1bbbb
    kms: arn:aws:kms:eu-west-1:1:key/x+arn:aws:iam::1:role/r
  - age: [age1fallback]
stores:
  yaml:
    indent: 2
`,
  ".sops.yaml",
);

test("the first matching rule wins, and a rule without path_regex catches the rest", () => {
  const prod = creationRuleFor(config, "prod/app.yaml", ".sops.yaml");
  assert.deepEqual(prod.selectors, { encryptedRegex: "^(data|stringData)$" });
  assert.deepEqual(prod.keyGroups, [
    [
      {
        type: "kms",
        arn: "arn:aws:kms:eu-west-1:111122223333:key/abc",
        role: "arn:aws:iam::111122223333:role/sops",
        context: { app: "web" },
      },
      {
        type: "hc_vault",
        vault_address: "https://vault.example:8200",
        engine_path: "transit/team",
        key_name: "prod",
      },
      { type: "age", recipient: "age1prodxxxx" },
    ],
  ]);
  const env = creationRuleFor(config, "prod/app.env", ".sops.yaml");
  assert.deepEqual(
    env.keyGroups[0]?.map((k) => k.type),
    ["age", "age", "kms"],
  );
  assert.deepEqual(env.keyGroups[0]?.[2], {
    type: "kms",
    arn: "arn:aws:kms:eu-west-1:1:key/x",
    role: "arn:aws:iam::1:role/r",
  });
  assert.deepEqual(env.selectors, {}); // the default suffix is added when a file is created
  assert.deepEqual(creationRuleFor(config, "dev/app.yaml", ".sops.yaml").keyGroups, [
    [{ type: "age", recipient: "age1fallback" }],
  ]);
  assert.equal(storeIndent(config, "yaml"), 2);
});

test("no matching rule is an error that names the file", () => {
  const strict = parseSopsConfig("creation_rules:\n  - path_regex: ^only$\n    age: age1x\n", ".sops.yaml");
  assert.throws(
    () => creationRuleFor(strict, "other.yaml", ".sops.yaml"),
    /no creation rule matches other\.yaml/,
  );
});

test("a malformed rule names the line and field", () => {
  assert.throws(
    () => parseSopsConfig("creation_rules:\n  - path_regex: x\n    shamir_threshold: many\n", ".sops.yaml"),
    (error: Error) => {
      assert.match(error.message, /^\.sops\.yaml:3:\d+: creation_rules\.0\.shamir_threshold: /);
      return true;
    },
  );
});

test("the flux vector's .sops.yaml (anchors, encrypted_regex, key_groups fallback) parses", () => {
  const text = readFileSync(new URL("flux-kustomize-controller/.sops.yaml", vectorsDir), "utf8");
  const flux = parseSopsConfig(text, ".sops.yaml");
  assert.ok((flux.creation_rules ?? []).length > 0);
  const yaml = creationRuleFor(flux, "secret.yaml", ".sops.yaml");
  assert.deepEqual(yaml.selectors, { encryptedRegex: "^(data|stringData)$" });
  assert.deepEqual(yaml.keyGroups, [
    [{ type: "age", recipient: "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29" }],
  ]);
  const fallback = creationRuleFor(flux, "file.bin", ".sops.yaml");
  assert.deepEqual(
    fallback.keyGroups.map((g) => g.map((k) => k.type)),
    [["age"], ["pgp"]],
  );
});
