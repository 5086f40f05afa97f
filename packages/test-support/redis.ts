import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * The Redis the tests use: `REDIS_URL` when set, otherwise the machine's Redis on 127.0.0.1:6379.
 * Test files give their keys a prefix of their own ({@link testRedisPrefix}), so they never share
 * counters, with each other or with earlier runs.
 */
export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** A key prefix unique to one test file and run: `kit-test:<name>:<random>:`. */
export function testRedisPrefix(name: string): string {
  return `kit-test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** Whether something at `url` answers a Redis `PING` (any reply, `-NOAUTH` included) within 1 s. */
export function redisAnswers(url: string = TEST_REDIS_URL): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, '') || '127.0.0.1');
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data[0] === 0x2b /* + */ || data[0] === 0x2d /* - */));
  });
}

/**
 * The Redis URL when Redis answers. When it does not: in CI (`CI` set) the run fails, since CI
 * starts Redis (`.ci/steps/redis.sh`) and a skipped suite would hide a broken store; elsewhere the
 * Redis tests are skipped with one printed line, so `pnpm test` works on a machine without Redis.
 */
export async function requireTestRedis(what: string): Promise<string | undefined> {
  if (await redisAnswers()) return TEST_REDIS_URL;
  const where = new URL(TEST_REDIS_URL);
  const reason = `Redis does not answer at ${where.hostname}:${where.port || 6379}`;
  const ci = process.env.CI;
  if (ci && ci !== 'false' && ci !== '0') {
    throw new Error(`${reason}; CI runs ${what} (start Redis, e.g. .ci/steps/redis.sh, or set REDIS_URL).`);
  }
  console.warn(`tests: skipping ${what}: ${reason} (start redis-server or set REDIS_URL to run them)`);
  return undefined;
}
