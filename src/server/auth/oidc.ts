/**
 * OpenID Connect single sign-on: a bearer JWT from the provider is verified for signature (against
 * the provider's JWKS), issuer, audience, expiry and issue time. `createRemoteJWKSet` refetches the
 * key set when a token names a key it has not seen, which is how provider key rotation reaches us.
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
  /** How long reading the discovery document may take (default 10 s). */
  readonly discoveryTimeoutMs?: number;
  /**
   * How long after the provider issued an ID token the API tokens minted with it keep working
   * (default 12 hours). The provider vouched for the user when it issued the ID token; once it
   * stops (the user was removed), every token minted since dies within this time.
   */
  readonly sessionMaxAgeSeconds?: number;
  /** How far in the future an ID token's `iat` may be, for clocks that disagree (default 60 s). */
  readonly clockSkewSeconds?: number;
}

export const defaultSessionMaxAgeSeconds = 12 * 60 * 60;

export interface OidcIdentity {
  /** `<issuer>|<sub>`: unique across providers. */
  readonly subject: string;
  readonly displayName: string;
  /** When tokens minted with this sign-in must have expired: `iat` plus the session's max age. */
  readonly sessionExpiresAt: Date;
}

const discoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url() });

/**
 * The issuer's `jwks_uri`, from its discovery document. The document must name exactly the
 * configured issuer (OpenID Connect Discovery 1.0, section 4.3): a document that names another
 * one is a mix-up or an impostor, and its keys are not the issuer's.
 */
export async function discoverJwksUri(issuer: string, timeoutMs = 10_000): Promise<string> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    const reason =
      error instanceof DOMException && error.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : String(error);
    throw new SlipwayError(
      ErrorCode.Unavailable,
      `cannot read the OIDC discovery document at ${url}: ${reason}`,
      { cause: error },
    );
  }
  const parsed = discoverySchema.safeParse(body);
  if (!parsed.success) {
    throw new SlipwayError(
      ErrorCode.Unavailable,
      `the OIDC discovery document at ${url} has no issuer or jwks_uri`,
    );
  }
  if (parsed.data.issuer !== issuer) {
    throw new SlipwayError(
      ErrorCode.Unavailable,
      `the OIDC discovery document at ${url} names the issuer "${parsed.data.issuer}", not the configured "${issuer}": configure the issuer exactly as the provider names it`,
      { details: { configured: issuer, discovered: parsed.data.issuer } },
    );
  }
  return parsed.data.jwks_uri;
}

export type OidcVerifier = (jwt: string) => Promise<OidcIdentity>;

export function oidcVerifier(config: OidcConfig): OidcVerifier {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keys = async () => {
    if (keySet === undefined) {
      const uri = config.jwksUri ?? (await discoverJwksUri(config.issuer, config.discoveryTimeoutMs));
      keySet = createRemoteJWKSet(new URL(uri), { cooldownDuration: config.cooldownMs ?? 30_000 });
    }
    return keySet;
  };
  const skew = config.clockSkewSeconds ?? 60;
  const maxAge = config.sessionMaxAgeSeconds ?? defaultSessionMaxAgeSeconds;
  return async (jwt) => {
    // Outside the try: a provider that cannot be reached is the server's problem (503), not a
    // bad token.
    const keySet = await keys();
    let payload: JWTPayload;
    try {
      // `maxTokenAge` makes jose check `iat` both ways: a sign-in older than the session's max
      // age is over, and one "issued" in the future (beyond the clock skew) would stretch every
      // lifetime counted from it.
      ({ payload } = await jwtVerify(jwt, keySet, {
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ["sub", "exp", "iat"],
        maxTokenAge: maxAge,
        clockTolerance: skew,
      }));
    } catch (error) {
      throw new SlipwayError(ErrorCode.Unauthenticated, `the OIDC token was rejected: ${describe(error)}`, {
        cause: error,
      });
    }
    const iat = Number(payload.iat);
    const sub = String(payload.sub);
    const name = [payload.name, payload.preferred_username, payload.email].find((v) => typeof v === "string");
    return {
      subject: `${config.issuer}|${sub}`,
      displayName: typeof name === "string" ? name : sub,
      sessionExpiresAt: new Date((iat + maxAge) * 1000),
    };
  };
}

/** What to tell the caller, without echoing the token. */
function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired && error.claim === "iat") {
    return "the sign-in is older than the session's maximum age; log in again";
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "iat") {
    return `claim "iat" is in the future; check the clocks of the provider and this server`;
  }
  if (error instanceof joseErrors.JWTExpired) return "it has expired; log in again";
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `claim "${error.claim}" is wrong (${error.reason})`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key of the provider matches its signature";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "its signature does not verify";
  if (error instanceof joseErrors.JOSEError) return error.code;
  return "it could not be verified";
}
