/**
 * Where the CLI finds its server: `$XDG_CONFIG_HOME/slipway/config.json` (else
 * `~/.config/slipway/config.json`), written by `slipway login` readable only by its owner, and
 * overridden by SLIPWAY_SERVER / SLIPWAY_TOKEN for scripts and CI.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export const clientConfigSchema = z.strictObject({ server: z.url(), token: z.string().min(1) });
export type ClientConfig = z.infer<typeof clientConfigSchema>;

type Env = Readonly<Record<string, string | undefined>>;

export function configPath(env: Env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "slipway", "config.json");
}

export function readClientConfig(env: Env): ClientConfig {
  const file = configPath(env);
  let stored: Partial<ClientConfig> = {};
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new SlipwayError(ErrorCode.Input, `${file} is not valid JSON: run \`slipway login\` again`, {
        cause: error,
      });
    }
    const result = clientConfigSchema.safeParse(parsed);
    if (!result.success) {
      throw new SlipwayError(
        ErrorCode.Input,
        `${file} is not a Slipway client config: run \`slipway login\` again`,
      );
    }
    stored = result.data;
  }
  const server = env.SLIPWAY_SERVER || stored.server;
  const token = env.SLIPWAY_TOKEN || stored.token;
  if (!server || !token) {
    throw new SlipwayError(
      ErrorCode.Unauthenticated,
      "not logged in: run `slipway login --server <url>` (or set SLIPWAY_SERVER and SLIPWAY_TOKEN)",
    );
  }
  return { server, token };
}

export function writeClientConfig(env: Env, config: ClientConfig): string {
  const file = configPath(env);
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(clientConfigSchema.parse(config), null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
