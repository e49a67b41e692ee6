/**
 * A secret is a type, not a string. `SecretValue` holds plaintext that must never reach a log, an
 * error message, JSON, a diff or a web page by accident: every implicit way of turning it into text
 * (`toString`, template literals, `JSON.stringify`, `util.inspect`/`console.log`, string
 * concatenation) yields `[redacted]`. The plaintext comes out only through an explicit `reveal()`,
 * so every place that handles plaintext is greppable.
 */
const REDACTED = "[redacted]";
const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

export class SecretValue {
  readonly #bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    Object.freeze(this);
  }

  static fromString(plaintext: string): SecretValue {
    return new SecretValue(new TextEncoder().encode(plaintext));
  }

  /** Copies `bytes`, so later changes to the caller's buffer do not alter the secret. */
  static fromBytes(bytes: Uint8Array): SecretValue {
    return new SecretValue(Uint8Array.from(bytes));
  }

  /** The plaintext as UTF-8 text. Call only where the plaintext is meant to leave this wrapper. */
  reveal(): string {
    return new TextDecoder().decode(this.#bytes);
  }

  /** A copy of the plaintext bytes (binary secrets, Kubernetes `data`). */
  revealBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  /** Size in bytes; safe to show (Secrets over 1 MiB are refused before apply). */
  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  /** Constant-time comparison, so equality checks do not leak the value through timing. */
  equals(other: SecretValue): boolean {
    const a = this.#bytes;
    const b = other.#bytes;
    let diff = a.length ^ b.length;
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
    return diff === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return `SecretValue(${REDACTED})`;
  }
}

export function isSecretValue(value: unknown): value is SecretValue {
  return value instanceof SecretValue;
}
