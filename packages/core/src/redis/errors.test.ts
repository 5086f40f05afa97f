import { describe, expect, it } from 'vitest';
import { toRedisStoreError } from './errors.ts';

// Shaped as node-redis's own classes: `name` left at 'Error', the class name on the constructor.
class ErrorReply extends Error {}
class SocketClosedUnexpectedlyError extends Error {}

describe('toRedisStoreError', () => {
  it.each([
    ['a lost connection', new SocketClosedUnexpectedlyError('Socket closed unexpectedly')],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' }),
    ],
    ['a minified client', new (class extends Error {})('The client is offline')],
    ['a server loading its data', new ErrorReply('LOADING Redis is loading the dataset in memory')],
    ['a replica during failover', new ErrorReply("READONLY You can't write against a read only replica.")],
    ['a full server', new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.")],
    ['a cluster going down', new ErrorReply('CLUSTERDOWN The cluster is down')],
  ])('maps %s to ERR_STORE_UNAVAILABLE', (_, error) => {
    expect(toRedisStoreError(error, 'a hit')).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('maps any other reply to ERR_STORE_FAILURE, keeping only the class and the reply code', () => {
    const error = toRedisStoreError(
      new ErrorReply(
        "NOPERM User kit has no permissions to access the 'kit:rate-limit:login:203.0.113.7' key",
      ),
      'a hit',
    );
    expect(error).toMatchObject({ code: 'ERR_STORE_FAILURE' });
    expect((error.cause as Error).message).toBe('ErrorReply (NOPERM)');
    expect(`${error.message} ${(error.cause as Error).stack}`).not.toContain('203.0.113.7');
  });
});
