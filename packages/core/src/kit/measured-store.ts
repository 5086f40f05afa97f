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
 * Makes measured views of `store`: each call in a span `kit.store.<operation>` (under the view's
 * `parent` when given, else under the active context) and its time recorded in `duration`
 * (seconds, attribute `operation`). Only used when telemetry is on: a kit without it uses the
 * store itself, with no clock read. The methods are built once here, on one prototype shared by
 * every view, so a view costs one small object per refresh; the optional methods are present
 * exactly when `store` has them. Arguments and results pass through untouched, and no attribute
 * holds any of them.
 *
 * @internal
 */
export function measureStore(
  store: SessionStore,
  telemetry: Telemetry,
  duration: TelemetryHistogram,
): (parent?: TelemetrySpan) => SessionStore {
  // Times one store call. The duration is recorded by a reaction on the call's own promise: no
  // async frame of the wrapper stays alive while the statement runs.
  const timed = <T>(labels: OperationLabels, call: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const done = () => duration.record((performance.now() - start) / 1000, labels.durationAttributes);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      done();
      return Promise.reject(error); // as from an async method: a rejection, never a throw
    }
    // Handles the rejection for this reaction only; the caller still receives it from `pending`.
    // (A store that answers with a plain value, against its type, is timed all the same.)
    (pending instanceof Promise ? pending : Promise.resolve(pending)).then(done, done);
    return pending;
  };
  const run = <T>(
    operation: StoreOperation,
    parent: TelemetrySpan | undefined,
    call: () => Promise<T>,
  ): Promise<T> => {
    const labels = LABELS[operation];
    // No span to start (no tracer, or a refresh the sampler left out): time the call alone.
    if (!telemetry.startsSpan(parent)) return timed(labels, call);
    return telemetry.span(labels.span, labels.spanAttributes, () => timed(labels, call), parent);
  };
  interface View extends SessionStore {
    parent: TelemetrySpan | undefined;
  }
  const methods: SessionStore & ThisType<View> = {
    insert(record) {
      return run('insert', this.parent, () => store.insert(record));
    },
    rotate(input) {
      return run('rotate', this.parent, () => store.rotate(input));
    },
    touch(input) {
      return run('touch', this.parent, () => store.touch(input));
    },
    find(id) {
      return run('find', this.parent, () => store.find(id));
    },
    list(userId, options) {
      return run('list', this.parent, () => store.list(userId, options));
    },
    count(userId, options) {
      return run('count', this.parent, () => store.count(userId, options));
    },
    revoke(id, options) {
      return run('revoke', this.parent, () => store.revoke(id, options));
    },
    revokeByUser(userId, options) {
      return run('revoke_by_user', this.parent, () => store.revokeByUser(userId, options));
    },
    updateData(id, data) {
      return run('update_data', this.parent, () => store.updateData(id, data));
    },
    updateExpiry(id, options) {
      return run('update_expiry', this.parent, () => store.updateExpiry(id, options));
    },
    purge(options) {
      return run('purge', this.parent, () => store.purge(options));
    },
  };
  // Callers test for the optional methods (checkReady falls back to `find` without `ping`).
  const { lockPurge, listRevoked, ping } = store;
  if (lockPurge)
    methods.lockPurge = function (this: View) {
      return run('lock_purge', this.parent, () => lockPurge.call(store));
    };
  if (listRevoked)
    methods.listRevoked = function (this: View, options) {
      return run('list_revoked', this.parent, () => listRevoked.call(store, options));
    };
  if (ping)
    methods.ping = function (this: View) {
      return run('ping', this.parent, () => ping.call(store));
    };
  Object.freeze(methods);
  return (parent) => {
    const view = Object.create(methods) as View;
    view.parent = parent;
    return view;
  };
}
