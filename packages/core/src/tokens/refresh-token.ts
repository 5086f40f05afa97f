import {
  createHmacKey,
  type HmacKey,
  hkdf,
  randomBytes,
  sha256,
  timingSafeEqual,
} from '../crypto/primitives.ts';
import { KitRefreshTokenMalformedError } from '../errors.ts';
import { decodeBase64url, encodeBase64url } from '../util/base64url.ts';
import { readSessionIdBytes, writeSessionIdBytes } from '../util/uuid.ts';

/**
 * Refresh tokens: format, integrity tag and the forward chain.
 *
 * A token is `kit_rt_` followed by the unpadded base64url encoding of 69 bytes:
 *
 * | bytes | field |
 * |---|---|
 * | 1 | format version (`0x01`) |
 * | 16 | session id (a UUID) |
 * | 4 | generation, unsigned big-endian: how many rotations preceded this token |
 * | 32 | secret |
 * | 16 | tag: HMAC-SHA-256 under a key derived from `KIT_SECRET`, over the 53 bytes before it, truncated |
 *
 * - The prefix lets secret scanners spot leaked tokens.
 * - The tag lets the server reject a mistyped or forged token before touching the database, and it
 *   is the proof that a presented token was minted by this server: a forged token can never cause
 *   a reuse verdict (and so never revoke anybody's session).
 * - The secret of generation 0 is 256 bits from the CSPRNG. Each successor's secret is an HMAC of its
 *   parent's secret under a second derived key (the forward chain). The database keeps only the
 *   SHA-256 of the current secret and the generation, which cannot be turned back into a token; the
 *   grace answer is recomputed from the presented parent, and any ancestor can be proven genuine by
 *   hashing forward.
 *
 * The codec itself is internal; `REFRESH_TOKEN_PREFIX` is exported from `@kit/core`.
 */

/**
 * The prefix of every refresh token, for secret scanners and quick client-side checks.
 */
export const REFRESH_TOKEN_PREFIX = 'kit_rt_';

const VERSION = 0x01;
const BODY_LENGTH = 1 + 16 + 4 + 32;
const TAG_LENGTH = 16;
const RAW_LENGTH = BODY_LENGTH + TAG_LENGTH;
/** Length of the whole token string: prefix plus 92 base64url characters. */
export const REFRESH_TOKEN_LENGTH = REFRESH_TOKEN_PREFIX.length + Math.ceil((RAW_LENGTH * 4) / 3);
const MAX_GENERATION = 0xffffffff;

/** The decoded, authenticated content of a refresh token. */
export interface RefreshTokenParts {
  /** Session id, a lowercase UUID. */
  readonly sessionId: string;
  /** The same id as its 16 bytes (kept to avoid parsing the UUID again). */
  readonly sessionIdBytes: Uint8Array;
  /** Rotations that preceded this token. */
  readonly generation: number;
  /** The 32-byte secret. */
  readonly secret: Uint8Array;
  /**
   * Which server secret's keys apply to this token: 0 for the current `secret`, `i` for
   * `previousSecrets[i - 1]`. A decoded token gets the index of the secret whose tag it carries;
   * its successor is derived with that secret's chain key (so a retry of the same token always
   * derives the same successor) and is tagged with the current secret (index 0).
   */
  readonly keyIndex: number;
}

/** Bytes that identify one link of the chain: domain, session id and the generation being derived. */
function chainInput(sessionIdBytes: Uint8Array, generation: number, parentSecret: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 16 + 4 + 32);
  input[0] = VERSION;
  input.set(sessionIdBytes, 1);
  new DataView(input.buffer).setUint32(17, generation);
  input.set(parentSecret, 21);
  return input;
}

/**
 * `key`'s MAC of `data`, computed synchronously where the runtime can: a refresh runs three, and
 * each `await` of an already computed value would still cost a turn of the microtask queue.
 */
function mac(key: HmacKey, data: Uint8Array): Uint8Array | Promise<Uint8Array> {
  return key.signSync ? key.signSync(data) : key.sign(data);
}

/**
 * Encodes, authenticates and derives refresh tokens under keys derived from one server secret.
 */
export class RefreshTokenCodec {
  /** Tag and chain keys per server secret: the current one first, then the previous ones. */
  readonly #keys: readonly { tag: HmacKey; chain: HmacKey }[];

  private constructor(keys: readonly { tag: HmacKey; chain: HmacKey }[]) {
    this.#keys = keys;
  }

  /**
   * Derives the tag and chain keys from the server secret (`KIT_SECRET`) and, for a secret
   * rotation, from each previous secret still accepted. New tokens are always tagged with the
   * current secret; tokens tagged with a previous one keep working.
   */
  static async create(
    serverSecret: Uint8Array,
    previousSecrets: readonly Uint8Array[] = [],
  ): Promise<RefreshTokenCodec> {
    const keys = await Promise.all(
      [serverSecret, ...previousSecrets].map(async (secret) => {
        const [tag, chain] = await Promise.all([
          hkdf(secret, 'kit refresh-token tag v1'),
          hkdf(secret, 'kit refresh-token chain v1'),
        ]);
        return { tag: await createHmacKey(tag), chain: await createHmacKey(chain) };
      }),
    );
    return new RefreshTokenCodec(keys);
  }

  /** Token parts from their fields (the session id as a UUID string), under the current secret. */
  static parts(sessionId: string, generation: number, secret: Uint8Array): RefreshTokenParts {
    const sessionIdBytes = new Uint8Array(16);
    writeSessionIdBytes(sessionId, sessionIdBytes, 0);
    return { sessionId, sessionIdBytes, generation, secret, keyIndex: 0 };
  }

  /** A fresh generation-0 token for a new session. */
  first(sessionId: string): RefreshTokenParts {
    return RefreshTokenCodec.parts(sessionId, 0, randomBytes(32));
  }

  /** The successor of `parts`: generation + 1, secret derived from the parent's secret. */
  async successor(parts: RefreshTokenParts): Promise<RefreshTokenParts> {
    if (parts.generation >= MAX_GENERATION) throw new KitRefreshTokenMalformedError();
    const generation = parts.generation + 1;
    const chainKey = (this.#keys[parts.keyIndex] ?? this.#keys[0]!).chain;
    const derived = mac(chainKey, chainInput(parts.sessionIdBytes, generation, parts.secret));
    const secret = derived instanceof Uint8Array ? derived : await derived;
    return {
      sessionId: parts.sessionId,
      sessionIdBytes: parts.sessionIdBytes,
      generation,
      secret,
      keyIndex: 0,
    };
  }

  /** The value stored in the database for a token: SHA-256 of its secret. */
  hashSecret(secret: Uint8Array): Promise<Uint8Array> {
    return sha256(secret);
  }

  /** Encodes and tags a token. */
  async encode(parts: RefreshTokenParts): Promise<string> {
    const raw = new Uint8Array(RAW_LENGTH);
    raw[0] = VERSION;
    raw.set(parts.sessionIdBytes, 1);
    new DataView(raw.buffer).setUint32(17, parts.generation);
    raw.set(parts.secret, 21);
    const made = mac(this.#keys[0]!.tag, raw.subarray(0, BODY_LENGTH));
    const tag = made instanceof Uint8Array ? made : await made;
    raw.set(tag.subarray(0, TAG_LENGTH), BODY_LENGTH);
    return REFRESH_TOKEN_PREFIX + encodeBase64url(raw);
  }

  /**
   * Decodes a presented token and checks its tag in constant time. Throws
   * {@link KitRefreshTokenMalformedError} for anything this server did not mint, without saying
   * which check failed.
   */
  async decode(token: unknown): Promise<RefreshTokenParts> {
    if (
      typeof token !== 'string' ||
      token.length !== REFRESH_TOKEN_LENGTH ||
      !token.startsWith(REFRESH_TOKEN_PREFIX)
    ) {
      throw new KitRefreshTokenMalformedError();
    }
    const raw = decodeBase64url(token.slice(REFRESH_TOKEN_PREFIX.length));
    if (!raw || raw.length !== RAW_LENGTH || raw[0] !== VERSION) throw new KitRefreshTokenMalformedError();
    // Every accepted secret is tried, in constant time each; the current one first.
    const body = raw.subarray(0, BODY_LENGTH);
    const presented = raw.subarray(BODY_LENGTH);
    let keyIndex = -1;
    for (let i = 0; i < this.#keys.length && keyIndex < 0; i++) {
      const made = mac(this.#keys[i]!.tag, body);
      const expected = (made instanceof Uint8Array ? made : await made).subarray(0, TAG_LENGTH);
      if (timingSafeEqual(expected, presented)) keyIndex = i;
    }
    if (keyIndex < 0) throw new KitRefreshTokenMalformedError();
    return {
      sessionId: readSessionIdBytes(raw, 1),
      sessionIdBytes: raw.slice(1, 17),
      generation: new DataView(raw.buffer, raw.byteOffset).getUint32(17),
      secret: raw.slice(21, 53),
      keyIndex,
    };
  }
}
