import type { Session } from './session.ts';

/**
 * Events the kit emits after the change they describe is committed. `D` is the type of the
 * sessions' `data` (`KitTypes['data']` of the kit).
 *
 * @example
 * ```ts
 * kit.on('reuse_detected', ({ session }) => alertSecurityTeam(session.userId, session.id));
 * ```
 */
export interface KitEvents<D extends Record<string, unknown> = Record<string, unknown>> {
  /** A session was opened. */
  session_created: { session: Session<D> };
  /**
   * A refresh token was exchanged. `grace` is true when the answer was the grace replay of the
   * current token (no rotation happened).
   */
  session_refreshed: { session: Session<D>; grace: boolean };
  /** A session was revoked (by the host, by logout, or by reuse detection). */
  session_revoked: { session: Session<D>; reason: string };
  /**
   * A genuine but superseded refresh token was presented: the session is revoked. Carries the
   * generations involved and the client details of the replaying request.
   */
  reuse_detected: {
    session: Session<D>;
    presentedGeneration: number;
    currentGeneration: number;
    userAgent: string | undefined;
    ip: string | undefined;
  };
  /**
   * A refresh of a session bound to a DPoP key (RFC 9449) came with a valid proof signed by
   * another key: refused (`ERR_REFRESH_TOKEN_INVALID`), and the session was neither rotated nor
   * revoked. Someone holds a refresh token of the session without its key: the token may have
   * leaked. Carries the session id only (no token, proof or key).
   */
  dpop_key_mismatch: { sessionId: string };
}

/**
 * A listener of one {@link KitEvents} event. A listener that throws or rejects does not affect
 * the operation; the error goes to the kit's `onListenerError` option.
 */
export type KitEventListener<
  E extends keyof KitEvents,
  D extends Record<string, unknown> = Record<string, unknown>,
> = (event: KitEvents<D>[E]) => void | Promise<void>;

/** A small typed event emitter that runs in every runtime. @internal */
export class Emitter {
  readonly #listeners = new Map<keyof KitEvents, Set<KitEventListener<never>>>();
  readonly #onError: (error: unknown, event: keyof KitEvents) => void;

  constructor(onError: (error: unknown, event: keyof KitEvents) => void) {
    this.#onError = onError;
  }

  on<E extends keyof KitEvents>(event: E, listener: KitEventListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as KitEventListener<never>);
    return () => {
      set.delete(listener as KitEventListener<never>);
    };
  }

  emit<E extends keyof KitEvents>(event: E, payload: KitEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of set) {
      try {
        const result = (listener as KitEventListener<E>)(payload);
        if (result && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).catch((error) => this.#onError(error, event));
        }
      } catch (error) {
        this.#onError(error, event);
      }
    }
  }
}
