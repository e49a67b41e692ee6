/**
 * OpenID Connect single sign-on: a bearer JWT from the provider is verified for signature (against
 * the provider's JWKS), issuer, audience and expiry. `createRemoteJWKSet` refetches the key set
 * when a token names a key it has not seen, which is how provider key rotation reaches us.
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  /** Defaults to the `jwks_uri` of the issuer's discovery document. */
  readonly jwksUri?: string;
  /** Minimum time between key set refetches; tests shorten it to exercise rotation. */
  readonly cooldownMs?: number;
}

export interface OidcIdentity {
  /** `<issuer>|<sub>`: unique across providers. */
  readonly subject: string;
  readonly displayName: string;
}

const discoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url() });

export async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new SlipwayError(
      ErrorCode.Unavailable,
      `cannot read the OIDC discovery document at ${url}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return discoverySchema.parse(body).jwks_uri;
}

export type OidcVerifier = (jwt: string) => Promise<OidcIdentity>;

export function oidcVerifier(config: OidcConfig): OidcVerifier {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keys = async () => {
    if (keySet === undefined) {
      const uri = config.jwksUri ?? (await discoverJwksUri(config.issuer));
      keySet = createRemoteJWKSet(new URL(uri), { cooldownDuration: config.cooldownMs ?? 30_000 });
    }
    return keySet;
  };
  return async (jwt) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, await keys(), {
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ["sub", "exp"],
      }));
    } catch (error) {
      throw new SlipwayError(ErrorCode.Unauthenticated, `the OIDC token was rejected: ${describe(error)}`, {
        cause: error,
      });
    }
    const sub = String(payload.sub);
    const name = [payload.name, payload.preferred_username, payload.email].find((v) => typeof v === "string");
    return { subject: `${config.issuer}|${sub}`, displayName: typeof name === "string" ? name : sub };
  };
}

/** What to tell the caller, without echoing the token. */
function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "it has expired; log in again";
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `claim "${error.claim}" is wrong (${error.reason})`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key of the provider matches its signature";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "its signature does not verify";
  if (error instanceof joseErrors.JOSEError) return error.code;
  return "it could not be verified";
}
