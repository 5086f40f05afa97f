import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { SIGNING_ALGORITHMS } from '../keys/algorithms.ts';
import { generateSigningKeys, importSigningKeys } from '../keys/signing-keys.ts';
import { checkExtraClaims, signAccessToken } from './access-token.ts';

const NOW = Date.UTC(2030, 0, 1);

describe('signAccessToken', () => {
  it.each(SIGNING_ALGORITHMS)('mints an RFC 9068 token that jose verifies (%s)', async (alg) => {
    const keySet = await importSigningKeys(await generateSigningKeys({ alg }));
    const { token, jti, exp } = await signAccessToken({
      key: keySet.current,
      issuer: 'https://auth.test',
      audience: ['https://api.test'],
      subject: 'user-1',
      clientId: 'web',
      sessionId: '0b9b1f8e-2f7c-4c3e-9a57-6f1d2f3c4b5a',
      ttlSeconds: 300,
      nowMs: NOW,
      extraClaims: { role: 'admin' },
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: keySet.current.kid, typ: 'at+jwt' });
    const publicKey = await importJWK(keySet.current.publicJwk, alg);
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [alg],
      issuer: 'https://auth.test',
      audience: 'https://api.test',
      typ: 'at+jwt',
      currentDate: new Date(NOW),
    });
    expect(payload).toEqual({
      iss: 'https://auth.test',
      sub: 'user-1',
      aud: 'https://api.test',
      client_id: 'web',
      iat: NOW / 1000,
      exp: NOW / 1000 + 300,
      jti,
      sid: '0b9b1f8e-2f7c-4c3e-9a57-6f1d2f3c4b5a',
      role: 'admin',
    });
    expect(exp).toBe(NOW / 1000 + 300);
  });

  it('rejects hook claims that are reserved or not JSON', async () => {
    expect(() => checkExtraClaims({ exp: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    );
    expect(() => checkExtraClaims(['x'])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
    expect(checkExtraClaims(undefined)).toBeUndefined();
    const keySet = await importSigningKeys(await generateSigningKeys());
    await expect(
      signAccessToken({
        key: keySet.current,
        issuer: 'https://auth.test',
        audience: 'https://api.test',
        subject: 'u',
        clientId: 'c',
        sessionId: 's',
        ttlSeconds: 1,
        nowMs: NOW,
        extraClaims: { big: 1n },
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
  });
});
