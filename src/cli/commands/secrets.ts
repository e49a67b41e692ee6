/**
 * `slipway secrets`: SOPS-compatible encrypted files. encrypt and decrypt whole files; edit in
 * $EDITOR; set (value from stdin, never argv) and unset single keys; rotate the data key; updatekeys
 * to re-wrap it for the keys `.sops.yaml` lists now. Edits keep the ciphertext of unchanged values,
 * so a git diff shows only the keys that changed.
 */
import type { Command } from "commander";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import { formatForPath, SOPS_FORMATS, type SopsFormat } from "../../secrets/format/format-names.ts";
import type { OpenedDocument } from "../../secrets/format/sops-file.ts";
import { type TreeValue, toJsonValue } from "../../secrets/format/tree.ts";
import { parseKeyPath, setValue, unsetValue, valueAt } from "../../secrets/format/tree-edit.ts";
import { describeSpec } from "../../secrets/key-backend.ts";
import { describeEntry, KeyRing } from "../../secrets/key-ring.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { editInTemp } from "./secrets-editor.ts";
import { changeFile, readInput } from "./secrets-files.ts";
import type { KeyFlags } from "./secrets-support.ts";

// The SOPS parsers, the key backends and the platform file's schemas are bound when a subcommand
// runs (the preAction hook in registerSecrets), so `slipway secrets --help` loads none of them.
type SopsFile = typeof import("../../secrets/format/sops-file.ts");
type Stores = typeof import("../../secrets/format/stores.ts");
type Support = typeof import("./secrets-support.ts");
let keyRingFromEnv: typeof import("../../secrets/backends/from-env.ts").keyRingFromEnv;
let loadPlatformFile: typeof import("../../spec/files.ts").loadPlatformFile;
let encryptDocument: SopsFile["encryptDocument"];
let openDocument: SopsFile["openDocument"];
let sealDocument: SopsFile["sealDocument"];
let emitPlain: Stores["emitPlain"];
let parsePlain: Stores["parsePlain"];
let configIndent: Support["configIndent"];
let findSopsConfig: Support["findSopsConfig"];
let keysFromFlags: Support["keysFromFlags"];
let ruleFor: Support["ruleFor"];
let selectorsFromFlags: Support["selectorsFromFlags"];

async function loadModules(): Promise<void> {
  const [fromEnv, files, sopsFile, stores, support] = await Promise.all([
    import("../../secrets/backends/from-env.ts"),
    import("../../spec/files.ts"),
    import("../../secrets/format/sops-file.ts"),
    import("../../secrets/format/stores.ts"),
    import("./secrets-support.ts"),
  ]);
  ({ keyRingFromEnv } = fromEnv);
  ({ loadPlatformFile } = files);
  ({ encryptDocument, openDocument, sealDocument } = sopsFile);
  ({ emitPlain, parsePlain } = stores);
  ({ configIndent, findSopsConfig, keysFromFlags, ruleFor, selectorsFromFlags } = support);
}

function formatOf(file: string, flag: string | undefined): SopsFormat {
  if (flag === undefined) return formatForPath(file);
  if (!(SOPS_FORMATS as readonly string[]).includes(flag)) {
    throw new SlipwayError(ErrorCode.Input, `--format ${flag}: use one of ${SOPS_FORMATS.join(", ")}`);
  }
  return flag as SopsFormat;
}

/** One extracted value as `decrypt --extract` prints it: a string's exact bytes, even when not UTF-8. */
function extracted(value: TreeValue): string | Uint8Array {
  if (value.kind === "map" || value.kind === "list") return json(toJsonValue(value));
  if (value.kind === "str") return value.raw ?? value.value;
  if (value.kind === "bytes") return value.value;
  return String(toJsonValue(value));
}

/**
 * An error in the text the user edited cites that text's line, which is not a line of the
 * encrypted file: say so, and name the user's file, never the temporary copy.
 */
function inEditedText(error: unknown, file: string): unknown {
  if (!isSlipwayError(error) || error.code !== ErrorCode.Input) return error;
  let rest = error.message.startsWith(`${file}:`)
    ? error.message.slice(file.length + 1).trimStart()
    : error.message;
  const position = /^(\d+):(\d+): /.exec(rest);
  if (position) rest = rest.slice(position[0].length);
  const where = position
    ? `line ${position[1]}, column ${position[2]} of the decrypted text you edited`
    : "in the decrypted text you edited";
  return new SlipwayError(error.code, `${file}, ${where}: ${rest}`, { details: error.details, cause: error });
}

const now = () => new Date();

/**
 * The indentation a rewritten file gets: `.sops.yaml`'s `stores.*.indent` when set, else the
 * indentation the file already has (sops would switch to 4, rewriting every line of a 2-space file).
 */
function keepLayout(io: CliIo, doc: OpenedDocument): OpenedDocument {
  const configured = configIndent(findSopsConfig(io), doc.format);
  return configured === undefined ? doc : { ...doc, indent: configured };
}

export function registerSecrets(program: Command, io: CliIo): void {
  const secrets = program
    .command("secrets")
    .description("SOPS-compatible encrypted files: encrypt, decrypt, edit, set, unset, rotate, updatekeys.")
    .hook("preAction", loadModules);
  // Vault and KMS keys only from the operator's platform file ($SLIPWAY_PLATFORM), never the file's word.
  const keys = (): KeyRing => {
    const { platform } = loadPlatformFile(undefined, io.env);
    return keyRingFromEnv(io.env, { keys: platform.keys, teams: platform.teams?.map((t) => t.name) });
  };

  secrets
    .command("encrypt <file>")
    .description("Encrypt a plaintext file; keys from flags or the first matching .sops.yaml creation rule.")
    .option("-i, --in-place", "replace the file instead of printing the encrypted form")
    .option("--format <format>", `file format (${SOPS_FORMATS.join(", ")}); default from the extension`)
    .option("--age <recipients>", "age recipients, comma-separated (age1… or post-quantum age1pq1…)")
    .option("--hc-vault-transit <uris>", "Vault transit keys, e.g. https://vault:8200/v1/transit/keys/app")
    .option("--kms <arns>", "AWS KMS key ARNs (arn[+role_arn]), comma-separated")
    .option("--aws-profile <name>", "AWS profile recorded with --kms keys")
    .option("--config <file>", "the .sops.yaml to use (default: nearest from the working directory up)")
    .option("--encrypted-regex <re>", "encrypt only values whose key matches")
    .option("--unencrypted-regex <re>", "leave values whose key matches in clear")
    .option("--encrypted-suffix <s>", "encrypt only values whose key ends with this")
    .option("--unencrypted-suffix <s>", "leave values whose key ends with this in clear")
    .option("--mac-only-encrypted", "compute the MAC over encrypted values only")
    .action(async (file: string, opts: KeyFlags & { inPlace?: boolean; format?: string }) => {
      const format = formatOf(file, opts.format);
      const fromFlags = keysFromFlags(opts);
      const flagSelectors = selectorsFromFlags(opts);
      const found = findSopsConfig(io, opts.config);
      const encrypt = async (input: { path: string; bytes: Uint8Array }) => {
        const rule = fromFlags.length === 0 ? (found ? ruleFor(found, input.path) : undefined) : undefined;
        if (!rule && fromFlags.length === 0) {
          throw new SlipwayError(
            ErrorCode.Input,
            `${file}: no keys given; pass --age/--kms/--hc-vault-transit or add a .sops.yaml creation rule`,
          );
        }
        const indent = configIndent(found, format);
        return encryptDocument(input.bytes, {
          file,
          format,
          keys: keys(),
          now: now(),
          keyGroups: rule ? rule.keyGroups : [fromFlags],
          selectors: Object.keys(flagSelectors).length > 0 ? flagSelectors : (rule?.selectors ?? {}),
          macOnlyEncrypted: opts.macOnlyEncrypted ?? rule?.macOnlyEncrypted ?? false,
          ...(rule?.shamirThreshold ? { shamirThreshold: rule.shamirThreshold } : {}),
          ...(indent === undefined ? {} : { indent }),
        });
      };
      if (!opts.inPlace) {
        io.out(await encrypt(readInput(io, file)));
        return;
      }
      await changeFile(io, file, "secrets encrypt", async (target) => target.write(await encrypt(target)));
      io.err(`encrypted ${file}\n`);
    });

  secrets
    .command("decrypt <file>")
    .description("Print the decrypted file (or one value with --extract). Plaintext goes to stdout only.")
    .option("--format <format>", `file format (${SOPS_FORMATS.join(", ")}); default from the extension`)
    .option("--extract <key-path>", 'one value, e.g. db.password or ["db"]["password"]')
    .option("--output <format>", "text (the file's own format) or json", "text")
    .action(async (file: string, opts: { format?: string; extract?: string; output?: string }) => {
      const output = parseOutput(opts.output, OUTPUT_FORMATS, "text");
      const input = readInput(io, file);
      const doc = await openDocument(input.bytes, {
        file,
        format: formatOf(file, opts.format),
        keys: keys(),
      });
      if (opts.extract) {
        const value = valueAt(doc.branches[0] as never, parseKeyPath(opts.extract));
        io.out(output === "json" ? json(toJsonValue(value)) : extracted(value));
        return;
      }
      if (output === "json") {
        const docs = doc.branches.map(toJsonValue);
        io.out(json(docs.length === 1 ? docs[0] : docs));
        return;
      }
      // As sops prints it: the configured indentation or the default, whatever the file uses.
      const indent = configIndent(findSopsConfig(io), doc.format);
      // Bytes, not text: a binary file's plaintext need not be UTF-8.
      io.out(emitPlain(doc.branches, doc.format, indent === undefined ? {} : { indent }));
    });

  secrets
    .command("edit <file>")
    .description(
      "Edit the decrypted file in $EDITOR (private temp file, removed afterwards); re-encrypt only what changed.",
    )
    .action(async (file: string) => {
      // The lock is held while the editor runs: a concurrent `set` waits, then says who edits.
      const saved = await changeFile(io, file, "secrets edit", async (target) => {
        const doc = keepLayout(io, await openDocument(target.bytes, { file, keys: keys() }));
        const options = doc.indent === undefined ? {} : { indent: doc.indent };
        const before = Buffer.from(emitPlain(doc.branches, doc.format, options));
        const branches = await editInTemp(io, before, file, (edited) => {
          if (edited.equals(before)) return undefined;
          try {
            const parsed = parsePlain(edited, doc.format, file);
            // Seal now, so an error in the edited data (a reserved key, a value the format
            // cannot hold) reopens the editor like a syntax error does.
            return { parsed, text: sealDocument(doc, parsed, { now: now() }) };
          } catch (error) {
            throw inEditedText(error, file);
          }
        });
        if (!branches) return false;
        target.write(branches.text);
        return true;
      });
      io.err(saved ? `${file}: saved\n` : `${file}: no changes\n`);
    });

  secrets
    .command("set <file> <key-path>")
    .description(
      "Set one value, read from stdin (never from the command line); other values keep their ciphertext.",
    )
    .action(async (file: string, keyPath: string) => {
      const path = parseKeyPath(keyPath);
      // Read before the lock is taken: a person typing the value must not hold up other writers.
      const raw = await io.readStdin();
      const value = raw.endsWith("\n") ? raw.slice(0, raw.endsWith("\r\n") ? -2 : -1) : raw;
      await changeFile(io, file, "secrets set", async (target) => {
        const doc = keepLayout(io, await openDocument(target.bytes, { file, keys: keys() }));
        const [first, ...rest] = doc.branches;
        if (!first) throw new SlipwayError(ErrorCode.Input, `${file}: the file has no document`);
        const branches = [setValue(first, path, { kind: "str", value }), ...rest];
        target.write(sealDocument(doc, branches, { now: now() }));
      });
      io.err(`${file}: set ${keyPath}\n`);
    });

  secrets
    .command("unset <file> <key-path>")
    .description("Remove one value.")
    .action(async (file: string, keyPath: string) => {
      await changeFile(io, file, "secrets unset", async (target) => {
        const doc = keepLayout(io, await openDocument(target.bytes, { file, keys: keys() }));
        const [first, ...rest] = doc.branches;
        if (!first) throw new SlipwayError(ErrorCode.Input, `${file}: the file has no document`);
        const branches = [unsetValue(first, parseKeyPath(keyPath)), ...rest];
        target.write(sealDocument(doc, branches, { now: now() }));
      });
      io.err(`${file}: removed ${keyPath}\n`);
    });

  secrets
    .command("rotate <file>")
    .description("Generate a new data key, re-encrypt every value and wrap the key for the same master keys.")
    .action(async (file: string) => {
      const ring = keys();
      const wrapped = await changeFile(io, file, "secrets rotate", async (target) => {
        const doc = keepLayout(io, await openDocument(target.bytes, { file, keys: ring }));
        const dataKey = new Uint8Array(32);
        crypto.getRandomValues(dataKey);
        const keyEntries = await ring.wrap(
          dataKey,
          KeyRing.specsOf(doc.metadata),
          now(),
          doc.metadata.shamirThreshold,
        );
        target.write(sealDocument(doc, doc.branches, { now: now(), dataKey, keyEntries }));
        return keyEntries.flat().length;
      });
      io.err(`${file}: new data key, wrapped for ${wrapped} master key(s)\n`);
    });

  secrets
    .command("updatekeys <file>")
    .description("Re-wrap the data key for the master keys the matching .sops.yaml rule lists now.")
    .option("--config <file>", "the .sops.yaml to use (default: nearest from the working directory up)")
    .option("--output <format>", "text or json", "text")
    .action(async (file: string, opts: { config?: string; output?: string }) => {
      const output = parseOutput(opts.output, OUTPUT_FORMATS, "text");
      const found = findSopsConfig(io, opts.config);
      if (!found)
        throw new SlipwayError(ErrorCode.NotFound, "no .sops.yaml found from the working directory up");
      const { added, removed } = await changeFile(io, file, "secrets updatekeys", async (target) => {
        const rule = ruleFor(found, target.path);
        const ring = keys();
        const doc = keepLayout(io, await openDocument(target.bytes, { file, keys: ring }));
        const before = doc.metadata.keyGroups.flat().map(describeEntry);
        const after = rule.keyGroups.flat().map(describeSpec);
        const change = {
          added: after.filter((k) => !before.includes(k)),
          removed: before.filter((k) => !after.includes(k)),
        };
        if (change.added.length > 0 || change.removed.length > 0) {
          const threshold =
            rule.keyGroups.length > 1 ? rule.shamirThreshold || rule.keyGroups.length : undefined;
          const keyEntries = await ring.wrap(doc.dataKey, rule.keyGroups, now(), threshold);
          target.write(
            sealDocument(doc, doc.branches, {
              now: now(),
              keyEntries,
              ...(threshold ? { shamirThreshold: threshold } : {}),
            }),
          );
        }
        return change;
      });
      if (output === "json")
        io.out(json({ file, added, removed, changed: added.length + removed.length > 0 }));
      else {
        for (const k of added) io.out(`+ ${k}\n`);
        for (const k of removed) io.out(`- ${k}\n`);
        io.out(
          added.length + removed.length > 0
            ? `${file}: keys updated\n`
            : `${file}: keys already up to date\n`,
        );
      }
    });
}
