import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expectKitError } from '@kit/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { KitError } from '../errors.ts';
import {
  REFRESH_TOKEN_LENGTH,
  REFRESH_TOKEN_PREFIX,
  RefreshTokenCodec,
  type RefreshTokenParts,
} from './refresh-token.ts';
import {
  BODY_LENGTH,
  createCodecFixture,
  hex,
  RAW_LENGTH,
  rawOf,
  retag,
  SERVER_SECRET,
  tokenOf,
} from './refresh-token-test-support.ts';

describe('RefreshTokenCodec', () => {
  let codec: RefreshTokenCodec;
  let parts: RefreshTokenParts;
  let token: string;

  beforeAll(async () => {
    ({ codec, parts, token } = await createCodecFixture());
  });

  describe('round trip', () => {
    it('decodes what it encodes', async () => {
      const decoded = await codec.decode(token);
      expect(decoded.sessionId).toBe(parts.sessionId);
      expect(decoded.generation).toBe(0);
      expect(hex(decoded.secret)).toBe(hex(parts.secret));
      expect(decoded.secret.length).toBe(32);
    });

    it('round trips later generations, up to the largest', async () => {
      const sessionId = randomUUID();
      for (const generation of [1, 2, 255, 256, 65_535, 65_536, 0x7fffffff, 0x80000000, 0xffffffff]) {
        const p = RefreshTokenCodec.parts(sessionId, generation, new Uint8Array(randomBytes(32)));
        const decoded = await codec.decode(await codec.encode(p));
        expect(decoded.sessionId).toBe(sessionId);
        expect(decoded.generation).toBe(generation);
        expect(hex(decoded.secret)).toBe(hex(p.secret));
      }
    });

    it('round trips the successor chain', async () => {
      let current = codec.first(randomUUID());
      for (let i = 0; i < 5; i++) {
        current = await codec.successor(current);
        const decoded = await codec.decode(await codec.encode(current));
        expect(decoded.generation).toBe(i + 1);
        expect(decoded.sessionId).toBe(current.sessionId);
        expect(hex(decoded.secret)).toBe(hex(current.secret));
      }
    });

    it('normalises the session id to a lowercase UUID', async () => {
      const id = '0A1B2C3D-4E5F-4a6b-8c7d-9E0F1A2B3C4D';
      const decoded = await codec.decode(await codec.encode({ ...codec.first(id) }));
      expect(decoded.sessionId).toBe(id.toLowerCase());
    });

    it('lays out version, session id, generation and secret as documented', async () => {
      const sessionId = '01234567-89ab-4def-8123-456789abcdef';
      const secret = new Uint8Array(randomBytes(32));
      const raw = rawOf(await codec.encode(RefreshTokenCodec.parts(sessionId, 0x01020304, secret)));
      expect(raw.length).toBe(RAW_LENGTH);
      expect(raw[0]).toBe(0x01);
      expect(raw.subarray(1, 17).toString('hex')).toBe(sessionId.replaceAll('-', ''));
      expect(raw.readUInt32BE(17)).toBe(0x01020304);
      expect(raw.subarray(21, 53).toString('hex')).toBe(hex(secret));
      // The tag is the documented truncated HMAC: re-tagging the bytes changes nothing.
      expect(retag(raw, SERVER_SECRET).toString('hex')).toBe(raw.toString('hex'));
    });

    it('gives each new session a fresh 256-bit secret', () => {
      const a = codec.first(parts.sessionId);
      const b = codec.first(parts.sessionId);
      expect(a.generation).toBe(0);
      expect(a.secret.length).toBe(32);
      expect(hex(a.secret)).not.toBe(hex(b.secret));
    });
  });

  describe('format', () => {
    it('is the prefix plus base64url characters only, of the fixed length', async () => {
      expect(REFRESH_TOKEN_PREFIX).toBe('kit_rt_');
      expect(REFRESH_TOKEN_LENGTH).toBe(7 + 92);
      for (let i = 0; i < 50; i++) {
        const t = await codec.encode(codec.first(randomUUID()));
        expect(t.length).toBe(REFRESH_TOKEN_LENGTH);
        expect(t.startsWith('kit_rt_')).toBe(true);
        expect(t.slice(7)).toMatch(/^[A-Za-z0-9_-]{92}$/);
        expect(rawOf(t).length).toBe(RAW_LENGTH);
      }
    });
  });

  describe('rejects every single-byte change', () => {
    it('rejects each flipped bit of each of the 69 raw bytes', async () => {
      const raw = rawOf(token);
      expect(raw.length).toBe(RAW_LENGTH);
      let accepted = 0;
      for (let i = 0; i < RAW_LENGTH; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = Buffer.from(raw);
          changed[i]! ^= 1 << bit;
          const forged = tokenOf(changed);
          expect(forged.length).toBe(REFRESH_TOKEN_LENGTH);
          try {
            await codec.decode(forged);
            accepted++;
          } catch (error) {
            expect((error as KitError).code, `byte ${i} bit ${bit}`).toBe('ERR_REFRESH_TOKEN_MALFORMED');
          }
        }
      }
      expect(accepted).toBe(0);
      // The unchanged token still decodes, so the loop above measured the changes.
      await expect(codec.decode(tokenOf(raw))).resolves.toMatchObject({ sessionId: parts.sessionId });
    });

    it('rejects every other value of each byte (sampled) and each changed character', async () => {
      const raw = rawOf(token);
      for (let i = 0; i < RAW_LENGTH; i++) {
        for (const delta of [0x03, 0x80 | 0x7f, 0x55]) {
          const changed = Buffer.from(raw);
          changed[i]! ^= delta;
          await expectKitError(codec.decode(tokenOf(changed)), 'ERR_REFRESH_TOKEN_MALFORMED', {
            message: `byte ${i} ^ ${delta}`,
          });
        }
      }
      for (let i = REFRESH_TOKEN_PREFIX.length; i < token.length; i++) {
        const ch = token[i] === 'A' ? 'B' : 'A';
        const changed = token.slice(0, i) + ch + token.slice(i + 1);
        await expectKitError(codec.decode(changed), 'ERR_REFRESH_TOKEN_MALFORMED', {
          message: `character ${i}`,
        });
      }
    });

    it('rejects a token whose secret or generation was replaced, even with a matching session id', async () => {
      const raw = rawOf(token);
      const nextGeneration = Buffer.from(raw);
      nextGeneration.writeUInt32BE(1, 17);
      await expectKitError(codec.decode(tokenOf(nextGeneration)), 'ERR_REFRESH_TOKEN_MALFORMED');
      const otherSecret = Buffer.from(raw);
      randomBytes(32).copy(otherSecret, 21);
      await expectKitError(codec.decode(tokenOf(otherSecret)), 'ERR_REFRESH_TOKEN_MALFORMED');
      const zeroTag = Buffer.from(raw);
      zeroTag.fill(0, BODY_LENGTH);
      await expectKitError(codec.decode(tokenOf(zeroTag)), 'ERR_REFRESH_TOKEN_MALFORMED');
    });
  });

  describe('server secret', () => {
    it('rejects tokens minted under another secret', async () => {
      const other = await RefreshTokenCodec.create(new Uint8Array(randomBytes(32)));
      await expectKitError(other.decode(token), 'ERR_REFRESH_TOKEN_MALFORMED');
      await expectKitError(codec.decode(await other.encode(parts)), 'ERR_REFRESH_TOKEN_MALFORMED');
      // A secret that differs in one bit is another secret.
      const nearly = Uint8Array.from(SERVER_SECRET);
      nearly[31]! ^= 1;
      const near = await RefreshTokenCodec.create(nearly);
      await expectKitError(near.decode(token), 'ERR_REFRESH_TOKEN_MALFORMED');
    });

    it('accepts tokens of another codec built from the same secret', async () => {
      const same = await RefreshTokenCodec.create(Uint8Array.from(SERVER_SECRET));
      const decoded = await same.decode(token);
      expect(decoded.sessionId).toBe(parts.sessionId);
      expect(await same.encode(parts)).toBe(token);
    });
  });

  describe('successor (forward chain)', () => {
    it('is deterministic, across codec instances of the same secret', async () => {
      const a = await codec.successor(parts);
      const b = await codec.successor(parts);
      const c = await (await RefreshTokenCodec.create(Uint8Array.from(SERVER_SECRET))).successor(parts);
      expect(hex(a.secret)).toBe(hex(b.secret));
      expect(hex(a.secret)).toBe(hex(c.secret));
      expect(await codec.encode(a)).toBe(await codec.encode(b));
    });

    it('depends on the server secret', async () => {
      const other = await RefreshTokenCodec.create(new Uint8Array(randomBytes(32)));
      expect(hex((await other.successor(parts)).secret)).not.toBe(hex((await codec.successor(parts)).secret));
    });

    it('adds one to the generation, keeps the session id and yields a new 32-byte secret', async () => {
      const next = await codec.successor(parts);
      expect(next.generation).toBe(parts.generation + 1);
      expect(next.sessionId).toBe(parts.sessionId);
      expect(next.secret.length).toBe(32);
      expect(hex(next.secret)).not.toBe(hex(parts.secret));
      const after = await codec.successor(next);
      expect(after.generation).toBe(2);
      expect(hex(after.secret)).not.toBe(hex(next.secret));
      expect(hex(after.secret)).not.toBe(hex(parts.secret));
    });

    it('differs per generation for the same parent secret', async () => {
      const seen = new Set<string>();
      for (const generation of [0, 1, 2, 1000, 0xfffffffe]) {
        const next = await codec.successor({ ...parts, generation });
        expect(next.generation).toBe(generation + 1);
        seen.add(hex(next.secret));
      }
      expect(seen.size).toBe(5);
    });

    it('differs per session id for the same parent secret and generation', async () => {
      const a = await codec.successor(
        RefreshTokenCodec.parts('00000000-0000-4000-8000-000000000001', parts.generation, parts.secret),
      );
      const b = await codec.successor(
        RefreshTokenCodec.parts('00000000-0000-4000-8000-000000000002', parts.generation, parts.secret),
      );
      const c = await codec.successor(
        RefreshTokenCodec.parts('80000000-0000-4000-8000-000000000001', parts.generation, parts.secret),
      );
      expect(new Set([hex(a.secret), hex(b.secret), hex(c.secret)]).size).toBe(3);
    });

    it('differs per parent secret', async () => {
      const flipped = Uint8Array.from(parts.secret);
      flipped[0]! ^= 1;
      const a = await codec.successor(parts);
      const b = await codec.successor({ ...parts, secret: flipped });
      expect(hex(a.secret)).not.toBe(hex(b.secret));
    });

    it('reaches generation 0xffffffff and refuses to go past it', async () => {
      const last = await codec.successor({ ...parts, generation: 0xfffffffe });
      expect(last.generation).toBe(0xffffffff);
      const decoded = await codec.decode(await codec.encode(last));
      expect(decoded.generation).toBe(0xffffffff);
      await expect(codec.successor(last)).rejects.toBeInstanceOf(KitError);
      await expectKitError(codec.successor(last), 'ERR_REFRESH_TOKEN_MALFORMED');
    });
  });

  describe('hashSecret', () => {
    it('is SHA-256 of the secret', async () => {
      for (const secret of [parts.secret, new Uint8Array(32), new Uint8Array(randomBytes(32))]) {
        const expected = createHash('sha256').update(secret).digest('hex');
        expect(hex(await codec.hashSecret(secret))).toBe(expected);
      }
    });

    it('does not reveal the secret or depend on anything else', async () => {
      const hash = await codec.hashSecret(parts.secret);
      expect(hash.length).toBe(32);
      expect(hex(hash)).not.toBe(hex(parts.secret));
      const other = await RefreshTokenCodec.create(new Uint8Array(randomBytes(32)));
      expect(hex(await other.hashSecret(parts.secret))).toBe(hex(hash));
    });
  });
});
