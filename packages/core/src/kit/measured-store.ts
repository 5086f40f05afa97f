import type { SessionStore } from '../store/session-store.ts';
import type { TelemetryAttributes } from '../telemetry/open-telemetry-api.ts';
import type { Telemetry, TelemetryHistogram, TelemetrySpan } from '../telemetry/telemetry.ts';

/**
 * The `operation` attribute of `kit.store.duration`, and the suffix of the store call's span name
 * (`kit.store.<operation>`): the {@link SessionStore} method, in snake case.
 *
 * @internal
 */
export type StoreOperation =
  | 'insert'
  | 'rotate'
  | 'touch'
  | 'find'
  | 'list'
  | 'count'
  | 'revoke'
  | 'revoke_by_user'
  | 'update_data'
  | 'update_expiry'
  | 'purge'
  | 'lock_purge'
  | 'list_revoked'
  | 'ping';

interface OperationLabels {
  readonly span: string;
  readonly spanAttributes: TelemetryAttributes;
  readonly durationAttributes: TelemetryAttributes;
}

const OPERATIONS: readonly StoreOperation[] = [
  'insert',
  'rotate',
  'touch',
  'find',
  'list',
  'count',
  'revoke',
  'revoke_by_user',
  'update_data',
  'update_expiry',
  'purge',
  'lock_purge',
  'list_revoked',
  'ping',
];

// Made once: a measured call allocates no name or attribute object.
const LABELS = {} as Record<StoreOperation, OperationLabels>;
for (const operation of OPERATIONS) {
  LABELS[operation] = Object.freeze({
    span: `kit.store.${operation}`,
    spanAttributes: Object.freeze({ 'kit.store.operation': operation }),
    durationAttributes: Object.freeze({ operation }),
  });
}

/**
 * `store` with each call in a span `kit.store.<operation>` (under `parent` when given, else under
 * the active context) and its time recorded in `duration` (seconds, attribute `operation`). Only
 * built when telemetry is on: a kit without it uses the store itself, with no clock read. The
 * optional methods are present exactly when `store` has them. Arguments and results pass through
 * untouched, and no attribute holds any of them.
 *
 * @internal
 */
export function measureStore(
  store: SessionStore,
  telemetry: Telemetry,
  duration: TelemetryHistogram,
  parent?: TelemetrySpan,
): SessionStore {
  const run = <T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> => {
    const labels = LABELS[operation];
    return telemetry.span(
      labels.span,
      labels.spanAttributes,
      async () => {
        const start = performance.now();
        try {
          return await call();
        } finally {
          duration.record((performance.now() - start) / 1000, labels.durationAttributes);
        }
      },
      parent,
    );
  };
  const measured: SessionStore = {
    insert: (record) => run('insert', () => store.insert(record)),
    rotate: (input) => run('rotate', () => store.rotate(input)),
    touch: (input) => run('touch', () => store.touch(input)),
    find: (id) => run('find', () => store.find(id)),
    list: (userId, options) => run('list', () => store.list(userId, options)),
    count: (userId, options) => run('count', () => store.count(userId, options)),
    revoke: (id, options) => run('revoke', () => store.revoke(id, options)),
    revokeByUser: (userId, options) => run('revoke_by_user', () => store.revokeByUser(userId, options)),
    updateData: (id, data) => run('update_data', () => store.updateData(id, data)),
    updateExpiry: (id, options) => run('update_expiry', () => store.updateExpiry(id, options)),
    purge: (options) => run('purge', () => store.purge(options)),
  };
  // Callers test for the optional methods (checkReady falls back to `find` without `ping`).
  if (store.lockPurge) measured.lockPurge = () => run('lock_purge', () => store.lockPurge!());
  if (store.listRevoked)
    measured.listRevoked = (options) => run('list_revoked', () => store.listRevoked!(options));
  if (store.ping) measured.ping = () => run('ping', () => store.ping!());
  return measured;
}
