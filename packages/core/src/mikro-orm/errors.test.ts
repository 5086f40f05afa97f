import { describe, expect, it } from 'vitest';
import { toStoreError } from './errors.ts';

/** A driver error as node-postgres builds it from an ErrorResponse. */
function serverError(code: string, message: string) {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

describe('toStoreError', () => {
  it("reads a pooler's outage and capacity errors (PgBouncer, SQLSTATE 08P01) as ERR_STORE_UNAVAILABLE", () => {
    for (const message of [
      'query_wait_timeout',
      'no more connections allowed (max_client_conn)',
      'pgbouncer cannot connect to server',
      'server login has been failing, try again later (server_login_retry)',
      'client_login_timeout (server down)',
    ]) {
      const error = toStoreError(serverError('08P01', message), 'rotate');
      expect(error, message).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      // Only the SQLSTATE survives: driver messages can carry bound values.
      expect(String((error as { cause?: { message?: string } }).cause?.message)).not.toContain(message);
    }
  });

  it('keeps any other protocol violation a failure (bad input, such as a NUL byte in a parameter)', () => {
    expect(toStoreError(serverError('08P01', 'invalid message format'), 'rotate')).toMatchObject({
      code: 'ERR_STORE_FAILURE',
    });
    expect(
      toStoreError(serverError('08P01', 'unsupported startup parameter: options'), 'rotate'),
    ).toMatchObject({
      code: 'ERR_STORE_FAILURE',
    });
  });
});
