/**
 * Finds secrets in captured log lines: every value added (tokens, secrets, hashes, passwords, key
 * material) in every encoding added for it, whole or as any fragment of {@link FRAGMENT} characters
 * or more, plus shapes that are secret whatever their value (a refresh token, a compact JWT, a PEM
 * private key, a JWK private member). Findings name the kind and the line, never the value.
 */

/** Characters of the shortest fragment of a known value that counts as a leak. */
export const FRAGMENT = 16;

/** Shapes that must never appear in a log, whatever their value. */
const SHAPES: readonly [string, RegExp][] = [
  ['refresh token (kit_rt_ prefix)', /kit_rt_[A-Za-z0-9_-]{8,}/],
  ['compact JWT', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/],
  ['PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['JWK private member', /"(d|p|q|dp|dq|qi|k)"\s*:\s*"[A-Za-z0-9_-]{16,}/],
];

/** One line that holds a secret. */
export interface Finding {
  kind: string;
  /** Index of the line in what was scanned. */
  line: number;
  /** The line with every matched part replaced by `[REDACTED]` (safe to print). */
  redacted: string;
}

/** The encodings a byte string may show up in: hex (either case), base64 and base64url. */
export function encodings(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hex = buffer.toString('hex');
  return [hex, hex.toUpperCase(), buffer.toString('base64'), buffer.toString('base64url')];
}

/** `text` with every span replaced by `[REDACTED]` (overlapping spans merged). */
function redact(text: string, spans: readonly [number, number, string][]): string {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of sorted) {
    if (to <= at) continue;
    if (from > at) out += `${text.slice(at, from)}[REDACTED]`;
    else if (at === 0 && from === 0) out += '[REDACTED]';
    at = Math.max(at, to);
  }
  return out + text.slice(at);
}

/** A set of known secret values and the scan of lines against them. */
export class SecretScanner {
  /** Every FRAGMENT-long window of every long value → its kind. */
  readonly #windows = new Map<string, string>();
  /** Values shorter than FRAGMENT (passwords), matched whole. */
  readonly #short: [string, string][] = [];
  #values = 0;

  /** How many values (each encoding counted once) the scanner looks for. */
  get size(): number {
    return this.#values;
  }

  /** Adds a value, as text. Values shorter than 8 characters are refused: they would match by chance. */
  add(kind: string, value: string): void {
    if (value.length < 8)
      throw new Error(`a ${kind} of ${value.length} characters cannot be told from noise`);
    this.#values++;
    if (value.length < FRAGMENT) {
      this.#short.push([kind, value]);
      return;
    }
    for (let i = 0; i + FRAGMENT <= value.length; i++) {
      const window = value.slice(i, i + FRAGMENT);
      if (!this.#windows.has(window)) this.#windows.set(window, kind);
    }
  }

  /** Adds a byte string in each of its {@link encodings}. */
  addBytes(kind: string, bytes: Uint8Array): void {
    for (const encoded of encodings(bytes)) this.add(kind, encoded);
  }

  /** Every line that holds a known value (whole or a fragment) or a secret shape. */
  scan(lines: readonly string[]): Finding[] {
    const findings: Finding[] = [];
    for (const [index, text] of lines.entries()) {
      const spans: [number, number, string][] = [];
      for (let i = 0; i + FRAGMENT <= text.length; i++) {
        const kind = this.#windows.get(text.slice(i, i + FRAGMENT));
        if (kind) spans.push([i, i + FRAGMENT, kind]);
      }
      for (const [kind, value] of this.#short) {
        for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1)) {
          spans.push([at, at + value.length, kind]);
        }
      }
      for (const [kind, shape] of SHAPES) {
        const match = shape.exec(text);
        if (match) spans.push([match.index, match.index + match[0].length, kind]);
      }
      if (spans.length === 0) continue;
      findings.push({
        kind: [...new Set(spans.map((s) => s[2]))].join(', '),
        line: index,
        redacted: redact(text, spans),
      });
    }
    return findings;
  }
}
