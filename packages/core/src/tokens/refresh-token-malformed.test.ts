import { randomUUID } from 'node:crypto';
import { expectKitError } from '@kit/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_LENGTH, REFRESH_TOKEN_PREFIX, type RefreshTokenCodec } from './refresh-token.ts';
import { createCodecFixture, rawOf, retag, SERVER_SECRET, tokenOf } from './refresh-token-test-support.ts';

describe('RefreshTokenCodec', () => {
  let codec: RefreshTokenCodec;
  let token: string;

  beforeAll(async () => {
    ({ codec, token } = await createCodecFixture());
  });

  describe('rejects malformed input', () => {
    it('rejects the standard-base64 aliases "+" and "/" for "-" and "_"', async () => {
      // Find a token that has both "-" and "_" in its body, so the alias would decode to the
      // very same bytes (and a correct tag) if the decoder accepted it.
      let t = token;
      for (let i = 0; i < 1000 && !(t.slice(7).includes('-') && t.slice(7).includes('_')); i++) {
        t = await codec.encode(codec.first(randomUUID()));
      }
      const body = t.slice(7);
      expect(body).toContain('-');
      expect(body).toContain('_');
      await expect(codec.decode(t)).resolves.toBeDefined();
      expect(Buffer.from(body.replaceAll('-', '+'), 'base64').equals(rawOf(t))).toBe(true);
      for (const aliased of [
        REFRESH_TOKEN_PREFIX + body.replaceAll('-', '+'),
        REFRESH_TOKEN_PREFIX + body.replaceAll('_', '/'),
        REFRESH_TOKEN_PREFIX + body.replaceAll('-', '+').replaceAll('_', '/'),
      ]) {
        expect(aliased.length).toBe(REFRESH_TOKEN_LENGTH);
        await expectKitError(codec.decode(aliased), 'ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects padding', async () => {
      for (const padded of [`${token}=`, `${token}==`, `${token.slice(0, -1)}=`, `${token.slice(0, -2)}==`]) {
        await expectKitError(codec.decode(padded), 'ERR_REFRESH_TOKEN_MALFORMED', {
          message: padded.slice(-3),
        });
      }
    });

    it('rejects non-canonical encodings (trailing bits) of a shortened body', async () => {
      // 69 bytes fill 92 characters exactly, so spare bits only exist at other lengths: a
      // 91-character body (68 bytes and 2 spare bits) must not pass, spare bits set or not.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const shortened = token.slice(0, -1);
      const lastIndex = alphabet.indexOf(shortened.at(-1)!);
      for (const spare of [0, 1, 2, 3]) {
        const variant = shortened.slice(0, -1) + alphabet[(lastIndex & ~3) | spare];
        await expectKitError(codec.decode(variant), 'ERR_REFRESH_TOKEN_MALFORMED');
        // Padded back to the full length with a character that is not base64url.
        await expectKitError(codec.decode(`${variant}=`), 'ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects whitespace inside or around the token', async () => {
      const body = token.slice(7);
      for (const variant of [
        ` ${token}`,
        `${token} `,
        `${token}\n`,
        `${token}\r\n`,
        `\t${token}`,
        `${REFRESH_TOKEN_PREFIX} ${body.slice(1)}`,
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, 40)} ${body.slice(41)}`,
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, 40)}\n${body.slice(41)}`,
        `${token.slice(0, -1)}\n`,
        `${token.slice(0, -1)}\u00a0`,
      ]) {
        await expectKitError(codec.decode(variant), 'ERR_REFRESH_TOKEN_MALFORMED', {
          message: JSON.stringify(variant.slice(-2)),
        });
      }
    });

    it('rejects non-ASCII characters of the right UTF-16 length', async () => {
      const body = token.slice(7);
      for (const variant of [
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -1)}é`,
        `${REFRESH_TOKEN_PREFIX}\uff21${body.slice(1)}`, // fullwidth 'A'
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -2)}\u{1f600}`, // one emoji, two UTF-16 units
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -1)}\0`,
        `${token.slice(0, 3)}\u0131${token.slice(4)}`, // dotless i in the prefix
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -1)}${String.fromCharCode(token.charCodeAt(token.length - 1) + 0x100)}`,
      ]) {
        expect(variant.length).toBe(REFRESH_TOKEN_LENGTH);
        await expectKitError(codec.decode(variant), 'ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a number', 123],
      ['a boolean', true],
      ['an object', {}],
      ['an array', []],
      ['an array holding the token', ['TOKEN']],
      ['a boxed string', 'BOXED'],
      ['a Buffer of the token', 'BUFFER'],
      ['an object with toString', 'TO_STRING'],
    ])('rejects %s', async (_name, value) => {
      // Build values from the real token, so only the type is wrong.
      const input =
        value === 'BOXED'
          ? new String(token)
          : value === 'BUFFER'
            ? Buffer.from(token)
            : value === 'TO_STRING'
              ? { toString: () => token, length: token.length }
              : Array.isArray(value) && value[0] === 'TOKEN'
                ? [token]
                : value;
      await expectKitError(codec.decode(input), 'ERR_REFRESH_TOKEN_MALFORMED');
    });

    it('rejects a wrong version byte even when the tag over it is right', async () => {
      // Sanity: the re-tagging helper reproduces the codec's tags, so a failure below is the
      // version check and not a tag mismatch.
      const raw = rawOf(token);
      expect(tokenOf(retag(raw, SERVER_SECRET))).toBe(token);
      await expect(codec.decode(tokenOf(retag(raw, SERVER_SECRET)))).resolves.toBeDefined();
      for (const version of [0x00, 0x02, 0x81, 0xff]) {
        const changed = Buffer.from(raw);
        changed[0] = version;
        await expectKitError(
          codec.decode(tokenOf(retag(changed, SERVER_SECRET))),
          'ERR_REFRESH_TOKEN_MALFORMED',
          { message: `version ${version}` },
        );
      }
    });

    it('rejects a wrong prefix', async () => {
      const body = token.slice(7);
      for (const prefix of ['KIT_RT_', 'kit_at_', 'kit-rt_', 'kit_rt-', 'xit_rt_', 'kit_rT_', '_kit_rt']) {
        const variant = prefix + body;
        expect(variant.length).toBe(REFRESH_TOKEN_LENGTH);
        await expectKitError(codec.decode(variant), 'ERR_REFRESH_TOKEN_MALFORMED', { message: prefix });
      }
      // Without any prefix, even at the right length.
      await expectKitError(codec.decode(`AAAAAAA${body}`), 'ERR_REFRESH_TOKEN_MALFORMED');
      await expectKitError(codec.decode(body), 'ERR_REFRESH_TOKEN_MALFORMED');
    });

    it('rejects lengths one below and one above, and other lengths', async () => {
      for (const variant of [
        token.slice(0, -1),
        `${token}A`,
        `A${token}`,
        token.slice(0, -4),
        `${token}AAAA`,
        `${token}${token.slice(7)}`,
        REFRESH_TOKEN_PREFIX,
        '',
      ]) {
        expect(variant.length).not.toBe(REFRESH_TOKEN_LENGTH);
        await expectKitError(codec.decode(variant), 'ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects a very long string quickly', async () => {
      const started = performance.now();
      await expectKitError(
        codec.decode(REFRESH_TOKEN_PREFIX + 'A'.repeat(10_000_000)),
        'ERR_REFRESH_TOKEN_MALFORMED',
      );
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });
});
