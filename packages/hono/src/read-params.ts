import { MAX_BODY_BYTES } from './max-body-bytes.ts';

/**
 * What {@link readParams} found: the parameters, or why there are none (`too_large`: the body is
 * over the limit; `invalid_request`: anything else wrong with it).
 *
 * @example
 * ```ts
 * const read: ReadParamsResult = await readParams(c.req.raw);
 * if ('error' in read) return read.error === 'too_large' ? tooLarge() : badRequest();
 * ```
 */
export type ReadParamsResult =
  | { params: Record<string, string> }
  | { error: 'invalid_request' | 'too_large' };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text, or `null` when it is over `maxBytes`. A declared `Content-Length` is checked
 * before anything is read (and the runtime's HTTP framing keeps the body to that length); a body
 * without one is counted while it streams, and reading stops at the limit.
 */
async function readText(request: Request, maxBytes: number): Promise<string | null> {
  const length = request.headers.get('content-length');
  if (length !== null && request.headers.get('transfer-encoding') === null) {
    if (!/^\d{1,15}$/.test(length) || Number(length) > maxBytes) return null;
    // `arrayBuffer()` rather than the stream: under @hono/node-server it reads the socket
    // directly. Not `text()`: it would replace invalid UTF-8 with U+FFFD, so the same bytes would
    // be refused when streamed and read (and used) when sent with a length.
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > maxBytes ? null : decoder.decode(bytes);
  }
  const reader = request.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

/**
 * Reads the parameters of an OAuth request body: `application/x-www-form-urlencoded` (RFC 6749)
 * or a JSON object of strings, at most `maxBytes` long. Answers `too_large` over the limit
 * (whatever the media type), and `invalid_request` for any other media type, a body that does not
 * parse, a repeated form parameter (RFC 6749 §3.1: parameters must not be included more than
 * once) or a JSON value that is not a string. Never throws.
 *
 * @default maxBytes {@link MAX_BODY_BYTES} (16 KiB)
 */
export async function readParams(
  request: Request,
  options: { maxBytes?: number } = {},
): Promise<ReadParamsResult> {
  const invalid = { error: 'invalid_request' } as const;
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    // Size first, whatever the media type: the contract answers 413 to any body over the limit,
    // and reading at most the limit costs no more than refusing.
    const text = await readText(request, options.maxBytes ?? MAX_BODY_BYTES);
    if (text === null) return { error: 'too_large' };
    if (type !== 'application/x-www-form-urlencoded' && type !== 'application/json') return invalid;
    const params: Record<string, string> = Object.create(null);
    if (type === 'application/x-www-form-urlencoded') {
      for (const [key, value] of new URLSearchParams(text)) {
        if (Object.hasOwn(params, key)) return invalid;
        params[key] = value;
      }
      return { params };
    }
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid;
    // JSON.parse keeps the last of duplicated keys; refuse them as the form reader does, so a
    // proxy and the kit can never read different values from one body.
    if (!hasUniqueFlatStringMembers(text)) return invalid;
    for (const [key, value] of Object.entries(body)) {
      // Parameters are strings; anything else (numbers, objects) is a malformed request.
      if (typeof value !== 'string') return invalid;
      params[key] = value;
    }
    return { params };
  } catch {
    return invalid;
  }
}

const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;
const FLAT_OBJECT = /^\s*\{\s*(?:""\s*:\s*""\s*(?:,\s*""\s*:\s*""\s*)*)?\}\s*$/;

/**
 * Whether a JSON text (already known to parse) is one object whose members are all strings, with
 * no key repeated (keys compared after unescaping, so `"a"` and `"\u0061"` are the same key).
 */
function hasUniqueFlatStringMembers(text: string): boolean {
  const strings = text.match(JSON_STRING) ?? [];
  if (!FLAT_OBJECT.test(text.replace(JSON_STRING, '""'))) return false;
  const keys = new Set<string>();
  for (let i = 0; i < strings.length; i += 2) {
    const key = JSON.parse(strings[i]!) as string;
    if (keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}
