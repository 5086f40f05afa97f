import {
  createPublicKey,
  KeyObject,
  type KeyObject as NodeKeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import {
  type AuthKit,
  createAuthKit,
  generateSecret,
  generateSigningKeys,
  importSigningKeys,
  type SigningAlgorithm,
  type SigningKeySet,
} from '@kit/core';
// The Web Crypto path, which every other runtime gets from `@kit/core/verify` (not Node).
import { createWebCryptoVerifier as createWebVerifier } from '@kit/core/internal';
// On Node this resolves to the node:crypto path (the `node` export condition).
import { createVerifier as createNodeVerifier } from '@kit/core/verify';
import { bundleVerifier, DPOP_WORKER_ENTRY, WORKER_ENTRY } from '@kit/test-support/bundle-verifier';
import { createCpuOnlyStore } from './breakdown.ts';
import { interleave, type MakeOperation, type RunSettings } from './harness.ts';
import { type Comparison, compare, type Figure } from './report.ts';

/**
 * The crypto paths next to their primitives, per algorithm (EdDSA, ES256, RS256):
 *
 * - verification through the Node path of `@kit/core/verify` vs a raw `node:crypto` verify;
 * - verification through the Web Crypto path vs a raw `crypto.subtle.verify`;
 * - access-token signing (claims JSON, base64url, the kit's signer) vs a raw `node:crypto` sign of a
 *   prepared signing input;
 * - the size of the verifier bundled for an edge runtime.
 *
 * One sequential caller each (CPU-bound), alternating rounds, the same token for a verifier and
 * its limit. Every operation checks its outcome.
 */

const ALGS = ['EdDSA', 'ES256', 'RS256'] as const;
const VERIFY_TARGET = 0.9;
const SIGN_TARGET = 0.8;
const USER = 'bench-paths';
const HASH: Record<(typeof ALGS)[number], string | null> = { EdDSA: null, ES256: 'sha256', RS256: 'sha256' };
const SUBTLE: Record<
  (typeof ALGS)[number],
  { import: EcKeyImportParams | AlgorithmIdentifier; verify: AlgorithmIdentifier | EcdsaParams }
> = {
  EdDSA: { import: { name: 'Ed25519' }, verify: { name: 'Ed25519' } },
  ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
  RS256: {
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as AlgorithmIdentifier,
    verify: { name: 'RSASSA-PKCS1-v1_5' },
  },
};

function nodeOptions(alg: (typeof ALGS)[number], key: NodeKeyObject) {
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
}

function rawNodeVerify(alg: (typeof ALGS)[number], kit: AuthKit, token: string): MakeOperation {
  const key = nodeOptions(alg, createPublicKey({ key: kit.jwks().keys[0] as never, format: 'jwk' }));
  return () => async () => {
    const dot = token.lastIndexOf('.');
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    if (!nodeVerify(HASH[alg], Buffer.from(token.slice(0, dot)), key, signature))
      throw new Error('raw verify failed');
  };
}

function rawSubtleVerify(alg: (typeof ALGS)[number], kit: AuthKit, token: string): MakeOperation {
  return async () => {
    const { kty, crv, x, y, n, e } = kit.jwks().keys[0]!;
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty, crv, x, y, n, e } as JsonWebKey,
      SUBTLE[alg].import,
      false,
      ['verify'],
    );
    const encoder = new TextEncoder();
    return async () => {
      const dot = token.lastIndexOf('.');
      const signature = Buffer.from(token.slice(dot + 1), 'base64url');
      if (
        !(await crypto.subtle.verify(SUBTLE[alg].verify, key, signature, encoder.encode(token.slice(0, dot))))
      ) {
        throw new Error('raw subtle verify failed');
      }
    };
  };
}

function pathVerify(create: typeof createWebVerifier, kit: AuthKit, token: string): MakeOperation {
  return () => {
    const verify = create({ issuer: kit.config.issuer, audience: kit.config.audience, jwks: kit.jwks() });
    return async () => {
      if ((await verify(token)).sub !== USER) throw new Error('wrong claims');
    };
  };
}

/** What the kit does per access token: claims JSON, base64url, then its signer (node:crypto on Node). */
function kitSign(keys: SigningKeySet, kit: AuthKit): MakeOperation {
  const key = keys.current;
  const encoder = new TextEncoder();
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })).toString(
    'base64url',
  );
  return () => async () => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = JSON.stringify({
      iss: kit.config.issuer,
      sub: USER,
      aud: kit.config.audience,
      client_id: 'default',
      iat,
      exp: iat + 300,
      jti: crypto.randomUUID(),
      sid: '00000000-0000-4000-8000-000000000000',
    });
    const signature = await key.sign(
      encoder.encode(`${header}.${Buffer.from(claims).toString('base64url')}`),
    );
    if (signature.length === 0) throw new Error('empty signature');
  };
}

/** A bare `node:crypto` sign of an already built signing input (the physical limit). */
function rawNodeSign(alg: (typeof ALGS)[number], keys: SigningKeySet, token: string): MakeOperation {
  const key = nodeOptions(alg, KeyObject.from(keys.current.privateKey));
  const input = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  return () => async () => {
    if (nodeSign(HASH[alg], input, key).length === 0) throw new Error('empty signature');
  };
}

export interface CryptoPathsResult {
  comparisons: Comparison[];
  bundle: { entry: string; bytes: number; gzipBytes: number }[];
}

export async function measureCryptoPaths(options: {
  settings: RunSettings;
  rounds: number;
  figures: Map<string, Figure>;
  log: (line: string) => void;
}): Promise<CryptoPathsResult> {
  const { settings, rounds, figures, log } = options;
  const comparisons: Comparison[] = [];
  const add = (key: string, name: string, contains: string, result: Figure['result'] | undefined) => {
    if (!result) throw new Error(`no result for ${key}`);
    figures.set(key, { key, name, contains, result });
  };
  for (const alg of ALGS) {
    const keys = await importSigningKeys(await generateSigningKeys({ alg: alg as SigningAlgorithm }));
    const kit = await createAuthKit({
      issuer: 'https://auth.bench.test',
      audience: 'https://api.bench.test',
      secret: generateSecret(),
      signingKeys: keys,
      store: createCpuOnlyStore(),
      accessTokenTtl: '1h',
    });
    const token = (await kit.createSession({ userId: USER })).accessToken;
    log(
      `measuring ${alg} verification (node path, web path, raw node:crypto, raw crypto.subtle) and signing`,
    );
    const verified = await interleave({ ...settings, concurrency: 1, rounds }, [
      { key: 'raw-node', makeOperation: rawNodeVerify(alg, kit, token) },
      { key: 'node', makeOperation: pathVerify(createNodeVerifier, kit, token) },
      { key: 'raw-subtle', makeOperation: rawSubtleVerify(alg, kit, token) },
      { key: 'web', makeOperation: pathVerify(createWebVerifier, kit, token) },
    ]);
    const k = alg.toLowerCase();
    add(
      `paths.${k}.verify.raw-node`,
      `${alg} verify: raw node:crypto (limit)`,
      'split, base64url-decode, crypto.verify with a prepared KeyObject; no checks',
      verified.get('raw-node'),
    );
    add(
      `paths.${k}.verify.node`,
      `${alg} verify: @kit/core/verify, Node path`,
      'createVerifier under the node condition: header, signature via node:crypto, claims',
      verified.get('node'),
    );
    add(
      `paths.${k}.verify.raw-subtle`,
      `${alg} verify: raw crypto.subtle (limit)`,
      'split, base64url-decode, crypto.subtle.verify with a pre-imported CryptoKey; no checks',
      verified.get('raw-subtle'),
    );
    add(
      `paths.${k}.verify.web`,
      `${alg} verify: @kit/core/verify, Web Crypto path`,
      'createVerifier of the default entry: header, signature via crypto.subtle, claims',
      verified.get('web'),
    );
    const signed = await interleave({ ...settings, concurrency: 1, rounds }, [
      { key: 'raw', makeOperation: rawNodeSign(alg, keys, token) },
      { key: 'kit', makeOperation: kitSign(keys, kit) },
    ]);
    add(
      `paths.${k}.sign.raw-node`,
      `${alg} sign: raw node:crypto (limit)`,
      'crypto.sign of a prepared signing input with a KeyObject',
      signed.get('raw'),
    );
    add(
      `paths.${k}.sign.kit`,
      `${alg} sign: kit access token`,
      'claims JSON + base64url + the kit signer (node:crypto on Node)',
      signed.get('kit'),
    );
    comparisons.push(
      compare(
        figures,
        `${alg} verify: Node path / raw node:crypto`,
        `paths.${k}.verify.node`,
        `paths.${k}.verify.raw-node`,
        VERIFY_TARGET,
      ),
      compare(
        figures,
        `${alg} verify: Web Crypto path / raw crypto.subtle`,
        `paths.${k}.verify.web`,
        `paths.${k}.verify.raw-subtle`,
        VERIFY_TARGET,
      ),
      compare(
        figures,
        `${alg} sign: kit / raw node:crypto`,
        `paths.${k}.sign.kit`,
        `paths.${k}.sign.raw-node`,
        SIGN_TARGET,
      ),
    );
    await kit.close();
  }
  const bundle = [];
  // `@kit/core/verify` resolves to its Web Crypto entry here: the bundle is made with edge conditions.
  const entries = [
    ['@kit/core/verify', '@kit/core/verify'],
    ['packages/test-support/workerd/worker.ts', WORKER_ENTRY],
    ['packages/test-support/workerd/dpop-worker.ts', DPOP_WORKER_ENTRY],
  ] as const;
  for (const [entry, path] of entries) {
    const result = await bundleVerifier(path);
    bundle.push({ entry, bytes: result.bytes, gzipBytes: result.gzipBytes });
    log(`verifier bundle ${entry}: ${result.bytes} bytes minified, ${result.gzipBytes} gzip`);
  }
  return { comparisons, bundle };
}
