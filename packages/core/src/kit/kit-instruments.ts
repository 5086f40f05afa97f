import { KitError } from '../errors.ts';
import type { TelemetryAttributes } from '../telemetry/open-telemetry-api.ts';
import { createTally, type TelemetryTally } from '../telemetry/tally.ts';
import type { Telemetry, TelemetryCounter, TelemetryHistogram } from '../telemetry/telemetry.ts';

/**
 * How a `kit.refresh` call ended, as the `outcome` attribute of `kit.refreshes` and
 * `kit.refresh.duration` (and `kit.refresh.outcome` on its span). Every call ends in exactly one:
 *
 * - `rotated`: a new refresh token was issued; `grace`: the previous token, within `reuseGrace`,
 *   got the current one again.
 * - `reused`: an older genuine token revoked the session (`ERR_REFRESH_TOKEN_REUSED`).
 * - `invalid`: a malformed, forged, mistyped or unknown token, or a bad client context
 *   (`ERR_REFRESH_TOKEN_MALFORMED`, `ERR_REFRESH_TOKEN_INVALID`, `ERR_INVALID_INPUT`); for a
 *   session bound to a DPoP key, a missing or invalid proof (`ERR_DPOP_PROOF_INVALID`,
 *   `ERR_DPOP_NONCE_REQUIRED`) or a proof by another key (`ERR_REFRESH_TOKEN_INVALID`, with the
 *   `dpop_key_mismatch` event).
 * - `expired`, `revoked`: the session's (`ERR_SESSION_EXPIRED`, `ERR_SESSION_REVOKED`).
 * - `unavailable`: the kit could not answer: the store was unreachable or timed out
 *   (`ERR_STORE_UNAVAILABLE`), or anything else failed (the store, signing, the claims hook); the
 *   span's `kit.error.code` tells which.
 *
 * @internal
 */
export type RefreshOutcome =
  | 'rotated'
  | 'grace'
  | 'reused'
  | 'invalid'
  | 'expired'
  | 'revoked'
  | 'unavailable';

/** One frozen attribute set per outcome, so recording a duration allocates nothing. */
export const REFRESH_OUTCOME_ATTRIBUTES: Readonly<Record<RefreshOutcome, TelemetryAttributes>> =
  Object.freeze({
    rotated: Object.freeze({ outcome: 'rotated' }),
    grace: Object.freeze({ outcome: 'grace' }),
    reused: Object.freeze({ outcome: 'reused' }),
    invalid: Object.freeze({ outcome: 'invalid' }),
    expired: Object.freeze({ outcome: 'expired' }),
    revoked: Object.freeze({ outcome: 'revoked' }),
    unavailable: Object.freeze({ outcome: 'unavailable' }),
  });

/** The outcome of a refresh that rejected with `error`. @internal */
export function refreshFailureOutcome(error: unknown): RefreshOutcome {
  if (!(error instanceof KitError)) return 'unavailable';
  switch (error.code) {
    case 'ERR_REFRESH_TOKEN_MALFORMED':
    case 'ERR_REFRESH_TOKEN_INVALID':
    case 'ERR_INVALID_INPUT':
    case 'ERR_DPOP_PROOF_INVALID':
    case 'ERR_DPOP_NONCE_REQUIRED':
      return 'invalid';
    case 'ERR_REFRESH_TOKEN_REUSED':
      return 'reused';
    case 'ERR_SESSION_EXPIRED':
      return 'expired';
    case 'ERR_SESSION_REVOKED':
      return 'revoked';
    default:
      return 'unavailable';
  }
}

/**
 * Revocation reasons counted under their own name by `kit.sessions.revoked`: the kit's own
 * defaults (`revoked` for `kit.sessions.revoke`/`revokeAll`, `logout` for `revokeRefreshToken` and
 * the logout routes, `refresh_token_reused` for reuse detection), and three that hosts commonly
 * pass: `admin_revoked` (the CLI's default), `compromised` and `password_changed`. Any other
 * reason a host passes is counted as `other`; it is still stored with the session and carried by
 * the `session_revoked` event. So the number of series stays bounded whatever hosts pass.
 */
export const COUNTED_REVOCATION_REASONS = Object.freeze([
  'revoked',
  'logout',
  'refresh_token_reused',
  'admin_revoked',
  'compromised',
  'password_changed',
] as const);

const REASON_ATTRIBUTES: ReadonlyMap<string, TelemetryAttributes> = new Map(
  COUNTED_REVOCATION_REASONS.map((reason) => [reason, Object.freeze({ reason })]),
);
const OTHER_REASON: TelemetryAttributes = Object.freeze({ reason: 'other' });

/** The `reason` attribute of `kit.sessions.revoked` for a revocation reason. @internal */
export function revocationReasonAttributes(reason: string): TelemetryAttributes {
  return REASON_ATTRIBUTES.get(reason) ?? OTHER_REASON;
}

/**
 * The kit's instruments, created once per kit by {@link createKitInstruments} (never on a call).
 * On a kit whose telemetry is off they are the no-op ones.
 *
 * @internal
 */
export interface KitInstruments {
  /**
   * `kit.refreshes`, attribute `outcome` ({@link RefreshOutcome}): counted by the kit and read by
   * the SDK when it collects, so a refresh makes one SDK call fewer.
   */
  readonly refreshes: TelemetryTally;
  /** `kit.refresh.duration` in seconds, attribute `outcome`. */
  readonly refreshDuration: TelemetryHistogram;
  /** `kit.sessions.created`, no attributes. */
  readonly sessionsCreated: TelemetryCounter;
  /** `kit.sessions.revoked`, attribute `reason` (bounded: {@link revocationReasonAttributes}). */
  readonly sessionsRevoked: TelemetryCounter;
  /** `kit.store.duration` in seconds, attribute `operation` (the session-store method). */
  readonly storeDuration: TelemetryHistogram;
}

/** @internal */
export function createKitInstruments(telemetry: Telemetry): KitInstruments {
  return Object.freeze({
    refreshes: createTally(telemetry, 'kit.refreshes', 'Refresh-token exchanges, by outcome.', 'outcome'),
    refreshDuration: telemetry.histogram('kit.refresh.duration', 'Time to answer kit.refresh, by outcome.'),
    sessionsCreated: telemetry.counter('kit.sessions.created', 'Sessions opened.'),
    sessionsRevoked: telemetry.counter('kit.sessions.revoked', 'Sessions revoked, by reason.'),
    storeDuration: telemetry.histogram(
      'kit.store.duration',
      'Time the session store took per call, by operation.',
    ),
  });
}
