import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDemo, type TestDemo } from '../test/demo-server.ts';
import { createLineSink, parseLogLines } from '../test/log-lines.ts';
import { createDemoLogger } from './logger.ts';

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** The value of the one sample of `name` whose labels include every pair of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** The lines of `text` for the series `name` (comments excluded), for failure messages and the report. */
const seriesLines = (text: string, name: string) =>
  text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

/**
 * What an operator gets from the demo: `GET /metrics` in the Prometheus text format with the kit's
 * own counters (from a meter provider of the server's own), and JSON log lines without token
 * material.
 */
describe('demo observability', () => {
  let t: TestDemo;
  let other: TestDemo | undefined;
  let origin: string;
  const received: string[] = [];

  beforeAll(async () => {
    // A 1-second grace: the replay of a token two rotations old is reuse, not a grace answer.
    t = await createTestDemo({ KIT_REUSE_GRACE: '1' });
    other = await createTestDemo();
    origin = await t.demo.listen();
  });
  afterAll(async () => {
    await t?.close();
    await other?.close();
  });

  const post = async (path: string, body: Record<string, string>) => {
    const res = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Tokens & { error?: string };
    if (json.access_token) received.push(json.access_token, json.refresh_token);
    return { status: res.status, json };
  };
  const refresh = (refreshToken: string) =>
    post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
  const metricsOf = async (url: string) => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return res.text();
  };

  it('counts three rotations and a replayed refresh token at GET /metrics', async () => {
    const login = await post('/login', { username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(200);
    const chain = [login.json.refresh_token];
    for (let i = 0; i < 3; i++) {
      const rotated = await refresh(chain.at(-1)!);
      expect(rotated.status).toBe(200);
      chain.push(rotated.json.refresh_token);
    }
    // Past the grace of the login's token: the replay is reuse, and the session is revoked.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const replay = await refresh(chain[0]!);
    expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });

    const text = await metricsOf(origin);
    const refreshes = seriesLines(text, 'kit_refreshes_total');
    console.log(`GET /metrics, kit_refreshes_total:\n${refreshes.join('\n')}`);
    const scope = { otel_scope_name: '@kit/core' };
    expect(
      sample(text, 'kit_refreshes_total', { ...scope, outcome: 'rotated' }),
      text,
    ).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'kit_refreshes_total', { ...scope, outcome: 'reused' }), text).toBeGreaterThanOrEqual(
      1,
    );
    expect(text).toMatch(/^# TYPE kit_refreshes_total counter$/m);
    expect(sample(text, 'kit_sessions_created_total', scope)).toBe(1);
    expect(sample(text, 'kit_sessions_revoked_total', { ...scope, reason: 'refresh_token_reused' })).toBe(1);
    // The server's own provider and nothing global: a second demo in this process counted nothing.
    const quiet = await other!.demo.app.request('/metrics');
    expect(sample(await quiet.text(), 'kit_refreshes_total', { outcome: 'rotated' })).toBeUndefined();
  });

  it('logs JSON lines, the reuse among them, with no token material', () => {
    const entries = parseLogLines(t.logLines);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry.level).toMatch(/^(trace|debug|info|warn|error|fatal)$/);
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
    }
    const reuse = entries.find((entry) => entry.event === 'reuse_detected');
    expect(reuse).toMatchObject({ level: 'warn', component: 'demo' });
    expect(reuse?.msg).toMatch(/^reuse detected: session [0-9a-f-]{36} revoked$/);

    // No token the client received, whole or any 16-character part of it, and no token shape.
    const text = t.logLines.join('\n');
    expect(received.length).toBe(8);
    for (const token of received) {
      for (let i = 0; i + 16 <= token.length; i += 4) {
        expect(text.includes(token.slice(i, i + 16)), 'a log line holds part of a token').toBe(false);
      }
    }
    // Booleans, so that a failure does not print what it found.
    expect(/kit_rt_[A-Za-z0-9_-]{8,}/.test(text), 'a log line holds a refresh token').toBe(false);
    expect(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/.test(text), 'a log line holds a JWT').toBe(false);
    expect(text.includes('alice-password'), 'a log line holds a password').toBe(false);
  });

  it('redacts token-bearing fields, should a line ever carry one', () => {
    const sink = createLineSink();
    const logger = createDemoLogger(sink).child({ component: 'demo' });
    logger.warn({ refresh_token: 'kit_rt_abcdefghijkl', request: { authorization: 'Bearer eyJx' } }, 'oops');
    const [entry] = parseLogLines(sink.lines);
    expect(entry).toMatchObject({
      level: 'warn',
      component: 'demo',
      refresh_token: '[redacted]',
      request: { authorization: '[redacted]' },
      msg: 'oops',
    });
  });

  it('stops counting when the server closes', async () => {
    const closing = other!;
    other = undefined;
    const { metrics } = closing.demo;
    await closing.close();
    await expect(metrics.render()).rejects.toThrow();
  });
});
