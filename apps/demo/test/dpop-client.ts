import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';

/** A DPoP client as a test plays it: an ES256 key pair and proofs signed with it (jose). */
export interface TestDpopClient {
  /** The Web Crypto pair; the private key is non-extractable, as a browser would keep it. */
  readonly keyPair: CryptoKeyPair;
  /** The RFC 7638 thumbprint of its public key. */
  readonly jkt: string;
  /** A fresh proof for `method` and `url` (its query dropped), with `ath` when `accessToken` is given. */
  proof(method: string, url: string, accessToken?: string): Promise<string>;
}

/** Makes a {@link TestDpopClient} with a new key pair. */
export async function createTestDpopClient(): Promise<TestDpopClient> {
  const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const { kty, crv, x, y } = await exportJWK(keyPair.publicKey);
  const jwk = { kty: kty!, crv: crv!, x: x!, y: y! };
  return {
    keyPair,
    jkt: await calculateJwkThumbprint(jwk),
    proof(method, url, accessToken) {
      const target = new URL(url);
      return new SignJWT({
        jti: randomUUID(),
        htm: method,
        htu: `${target.origin}${target.pathname}`,
        ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(keyPair.privateKey);
    },
  };
}
