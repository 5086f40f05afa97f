import type { TokenKey } from './keys.ts';
import type { VerifierModel } from './model.ts';

/** Where hostile tokens come from. */
export interface TokenSources {
  model: VerifierModel;
  /** Published keys whose private halves the test holds: the issuer's. */
  issuerKeys: readonly TokenKey[];
  /** Keys the verifier does not publish: an attacker's. */
  attackerKeys: readonly TokenKey[];
  /** Claims valid at the model's time. */
  claims: Record<string, unknown>;
}

/** A hostile token and the name of the generator that made it (for messages). */
export interface BadToken {
  kind: string;
  token: string;
}
