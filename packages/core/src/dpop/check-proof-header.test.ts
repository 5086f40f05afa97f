import { generateDpopKey, publicJwk } from '@kit/test-support/dpop';
import { jsonSegment } from '@kit/test-support/hostile-tokens';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, type AlgorithmProfile } from '../verify/algorithms.ts';
import { checkProofHeader } from './check-proof-header.ts';

const allowed = new Map<string, AlgorithmProfile>(Object.entries(ALGORITHMS));
const ec = publicJwk(generateDpopKey('ES256'));
const okp = publicJwk(generateDpopKey('EdDSA'));
const rsa = publicJwk(generateDpopKey('RS256'));

/** The check a header fails, decided without any cryptography (no import, no signature). */
function failure(header: Record<string, unknown>): string | undefined {
  try {
    checkProofHeader(jsonSegment({ typ: 'dpop+jwt', ...header }), allowed);
    return undefined;
  } catch (error) {
    return (error as { check?: string }).check;
  }
}

describe('checkProofHeader', () => {
  it('keeps the required members of a key that fits alg, and their thumbprint input', () => {
    const checked = checkProofHeader(
      jsonSegment({ typ: 'dpop+jwt', alg: 'ES256', jwk: { ...ec, kid: 'k', ext: true } }),
      allowed,
    );
    expect(checked.profile.alg).toBe('ES256');
    expect(checked.members).toEqual({ crv: 'P-256', kty: 'EC', x: ec.x, y: ec.y });
    expect(checked.canonical).toBe(`{"crv":"P-256","kty":"EC","x":"${ec.x}","y":"${ec.y}"}`);
  });

  it('refuses a key whose type or curve does not fit alg before importing it (algorithm confusion)', () => {
    expect(failure({ alg: 'ES384', jwk: ec })).toBe('jwk');
    expect(failure({ alg: 'ES256', jwk: { ...ec, crv: 'P-384' } })).toBe('jwk');
    expect(failure({ alg: 'ES256', jwk: rsa })).toBe('jwk');
    expect(failure({ alg: 'RS256', jwk: ec })).toBe('jwk');
    expect(failure({ alg: 'PS256', jwk: okp })).toBe('jwk');
    expect(failure({ alg: 'EdDSA', jwk: { ...okp, kty: 'EC' } })).toBe('jwk');
    expect(failure({ alg: 'ES256', jwk: { ...ec, kty: 'oct', k: 'c2VjcmV0' } })).toBe('jwk');
    for (const [alg, jwk] of [
      ['ES256', ec],
      ['EdDSA', okp],
      ['RS256', rsa],
      ['PS256', rsa],
    ] as const) {
      expect(failure({ alg, jwk }), alg).toBeUndefined();
    }
  });

  it('refuses coordinates of the wrong length for the curve before importing them', () => {
    expect(failure({ alg: 'ES256', jwk: { ...ec, x: `${ec.x}A` } })).toBe('jwk');
    expect(failure({ alg: 'ES256', jwk: { ...ec, y: String(ec.y).slice(1) } })).toBe('jwk');
    expect(failure({ alg: 'EdDSA', jwk: { ...okp, x: `${okp.x}AAAA` } })).toBe('jwk');
  });
});
