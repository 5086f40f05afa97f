/**
 * A model of the answer each request body must get at `POST /token` and `POST /revoke`. Test-only.
 *
 * The model reads a body the way RFC 6749 and the contract describe it, with the platform's own
 * parsers (`URLSearchParams`, `JSON.parse`, a fatal UTF-8 decoder), not with the kit's code:
 *
 * - over 16 KiB (bytes) → 413 `invalid_request`, whatever the media type;
 * - a media type other than `application/x-www-form-urlencoded` or `application/json` (compared
 *   case-insensitively, parameters ignored) → 400 `invalid_request`;
 * - not UTF-8, not parseable, a repeated parameter or JSON member, a JSON value that is not an
 *   object of strings → 400 `invalid_request`;
 * - then the route's own rules (see {@link expectedTokenAnswer} and {@link expectedRevokeAnswer}).
 *
 * @module
 */

/** The body limit of the contract: 16 KiB. */
export const LIMIT_BYTES = 16 * 1024;

/** One request body as sent. */
export interface BodyCase {
  kind: string;
  /** `Content-Type`, or `null` for none. */
  contentType: string | null;
  body: string | Uint8Array;
  /** Send an honest `Content-Length`; otherwise the body streams without one. */
  contentLength: boolean;
  /** The JSON text repeats a member (a JSON parser keeps only one of them, so the model is told). */
  duplicateJsonMembers?: boolean;
}

/** What the model expects: an OAuth error, or the call the route must make to the kit. */
export type Expected =
  | { status: number; error: string }
  | { reaches: 'refresh' | 'revoke'; credential: string };

/** The form media type. */
export const FORM = 'application/x-www-form-urlencoded';
/** The JSON media type. */
export const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a body as sent. */
export const bytesOf = (body: string | Uint8Array): Uint8Array =>
  typeof body === 'string' ? encoder.encode(body) : body;

/** RFC 9110 §8.3.1: type/subtype, case-insensitive, optional whitespace, parameters after `;`. */
function mediaType(contentType: string): string {
  return contentType
    .split(';')[0]!
    .replace(/^[ \t]+|[ \t]+$/g, '')
    .toLowerCase();
}

type Read = { error: 'invalid_request' | 'too_large' } | { params: Map<string, string> };

/** The parameters of a body, or why it has none. */
export function readModel(c: BodyCase): Read {
  const invalid = { error: 'invalid_request' } as const;
  const type = mediaType(c.contentType ?? '');
  const bytes = bytesOf(c.body);
  if (bytes.byteLength > LIMIT_BYTES) return { error: 'too_large' };
  if (type !== FORM && type !== JSON_TYPE) return invalid;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return invalid;
  }
  const params = new Map<string, string>();
  if (type === FORM) {
    for (const [key, value] of new URLSearchParams(text)) {
      if (params.has(key)) return invalid;
      params.set(key, value);
    }
    return { params };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || c.duplicateJsonMembers)
    return invalid;
  for (const [key, member] of Object.entries(value)) {
    if (typeof member !== 'string') return invalid;
    params.set(key, member);
  }
  return { params };
}

/** `POST /token`: RFC 6749 §5.2 and the contract. */
export function expectedTokenAnswer(c: BodyCase): Expected {
  const read = readModel(c);
  if ('error' in read) return { status: read.error === 'too_large' ? 413 : 400, error: 'invalid_request' };
  const grant = read.params.get('grant_type');
  if (grant === undefined || grant === '') return { status: 400, error: 'invalid_request' };
  if (grant !== 'refresh_token') return { status: 400, error: 'unsupported_grant_type' };
  const token = read.params.get('refresh_token');
  if (token === undefined || token === '') return { status: 400, error: 'invalid_request' };
  return { reaches: 'refresh', credential: token };
}

/** `POST /revoke`: RFC 7009 §2.1 (a `token` is required) and the contract. */
export function expectedRevokeAnswer(c: BodyCase): Expected {
  const read = readModel(c);
  if ('error' in read) return { status: read.error === 'too_large' ? 413 : 400, error: 'invalid_request' };
  const token = read.params.get('token');
  if (token === undefined || token === '') return { status: 400, error: 'invalid_request' };
  return { reaches: 'revoke', credential: token };
}
