/**
 * Shamir secret sharing over GF(2^8) (the AES field, reduction 0x1B), as sops uses it when a file
 * has several key groups: each group wraps one share of the data key, and any `threshold` shares
 * rebuild it. A share is the y bytes followed by its x coordinate (1, 2, …), so it is one byte
 * longer than the secret.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

function mult(a: number, b: number): number {
  let acc = 0;
  for (let i = 7; i >= 0; i--) {
    const bit = (b >> i) & 1;
    acc = ((acc << 1) & 0xff) ^ (acc & 0x80 ? 0x1b : 0) ^ (bit ? a : 0);
  }
  return acc;
}

function inverse(a: number): number {
  let result = 1;
  for (let i = 0; i < 254; i++) result = mult(result, a); // a^254 = a^-1 in GF(2^8)
  return result;
}

export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (threshold < 2 || parts < threshold || parts > 255) {
    throw new SlipwayError(
      ErrorCode.Input,
      `cannot split a key into ${parts} parts with threshold ${threshold}`,
    );
  }
  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = i + 1;
    return share;
  });
  for (let idx = 0; idx < secret.length; idx++) {
    const coefficients = [secret[idx] as number, ...randomBytes(threshold - 1)];
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      let y = coefficients[threshold - 1] as number;
      for (let c = threshold - 2; c >= 0; c--) y = mult(y, x) ^ (coefficients[c] as number);
      (shares[i] as Uint8Array)[idx] = y;
    }
  }
  return shares;
}

export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  const first = shares[0];
  if (!first || shares.length < 2 || shares.some((s) => s.length !== first.length)) {
    throw new SlipwayError(ErrorCode.SecretDecrypt, "at least two key shares of equal length are needed");
  }
  const xs = shares.map((s) => s[s.length - 1] as number);
  if (new Set(xs).size !== xs.length) throw new SlipwayError(ErrorCode.SecretDecrypt, "duplicate key share");
  const secret = new Uint8Array(first.length - 1);
  for (let idx = 0; idx < secret.length; idx++) {
    let result = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        // Lagrange basis at x = 0; in GF(2^8) subtraction is XOR.
        basis = mult(basis, mult(xs[j] as number, inverse((xs[i] as number) ^ (xs[j] as number))));
      }
      result ^= mult((shares[i] as Uint8Array)[idx] as number, basis);
    }
    secret[idx] = result;
  }
  return secret;
}
