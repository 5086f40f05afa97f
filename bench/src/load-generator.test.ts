import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateLoad, httpRequest } from './load-generator.ts';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('generateLoad', () => {
  it('chains requests per connection and counts what passed its check', async () => {
    const seen = new Map<string, number[]>();
    const port = await listen((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const [conn, n] = body.split(':') as [string, string];
        seen.set(conn, [...(seen.get(conn) ?? []), Number(n)]);
        const answer = JSON.stringify({ next: Number(n) + 1 });
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(answer),
        });
        res.end(answer);
      });
    });
    const result = await generateLoad({
      port,
      connections: 3,
      seconds: 0.3,
      script: (i) => {
        let n = 0;
        return {
          next: () => httpRequest('POST', '/chain', { 'content-type': 'text/plain' }, `c${i}:${n}`),
          check(status, body) {
            n = (JSON.parse(body.toString()) as { next: number }).next;
            return status === 200;
          },
        };
      },
    });
    expect(result.ok).toBeGreaterThan(10);
    expect(result.failed).toBe(0);
    expect(result.seconds).toBeCloseTo(0.3, 1);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
    expect(result.generatorCpuMicrosPerOp).toBeGreaterThan(0);
    // Each connection presented 0, 1, 2, ...: the answer of one request made the next.
    expect([...seen.keys()].sort()).toEqual(['c0', 'c1', 'c2']);
    for (const numbers of seen.values()) expect(numbers).toEqual(numbers.map((_, i) => i));
  });

  it('closes a window cleanly: a chained client continues in the next window without a gap', async () => {
    const seen = new Map<string, number[]>();
    const port = await listen((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const [conn, n] = body.split(':') as [string, string];
        seen.set(conn, [...(seen.get(conn) ?? []), Number(n)]);
        // Slow enough that requests are in flight whenever a window ends.
        setTimeout(() => {
          const answer = String(Number(n) + 1);
          res.writeHead(200, { 'content-length': answer.length });
          res.end(answer);
        }, 5);
      });
    });
    const clients = [0, 1, 2, 3].map((i) => {
      let n = 0;
      return {
        next: () => httpRequest('POST', '/chain', {}, `c${i}:${n}`),
        check(status: number, body: Buffer) {
          n = Number(body.toString());
          return status === 200;
        },
      };
    });
    const load = () => generateLoad({ port, connections: 4, seconds: 0.1, script: (i) => clients[i]! });
    const first = await load();
    const second = await load();
    expect(first.ok).toBeGreaterThan(0);
    expect(second.ok).toBeGreaterThan(0);
    // Every number once, in order: no answer was lost at the end of the first window.
    for (const numbers of seen.values()) expect(numbers).toEqual(numbers.map((_, i) => i));
    expect(seen.size).toBe(4);
  });

  it('counts answers that fail their check instead of passing them', async () => {
    const port = await listen((_req, res) => {
      res.writeHead(401, { 'content-length': 0 });
      res.end();
    });
    const request = httpRequest('GET', '/me', {});
    const result = await generateLoad({
      port,
      connections: 2,
      seconds: 0.2,
      script: () => ({ next: () => request, check: (status) => status === 200 }),
    });
    expect(result.ok).toBe(0);
    expect(result.failed).toBeGreaterThan(0);
  });

  it('refuses a response it cannot frame by content-length', async () => {
    const port = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no length: chunked
      res.end('ok');
    });
    const request = httpRequest('GET', '/', {});
    await expect(
      generateLoad({
        port,
        connections: 1,
        seconds: 0.2,
        script: () => ({ next: () => request, check: () => true }),
      }),
    ).rejects.toThrow(/chunked/);
  });

  it('fails when the server closes a keep-alive connection', async () => {
    const port = await listen((req) => req.socket.destroy());
    const request = httpRequest('GET', '/', {});
    await expect(
      generateLoad({
        port,
        connections: 1,
        seconds: 0.2,
        script: () => ({ next: () => request, check: () => true }),
      }),
    ).rejects.toThrow(/closed/);
  });

  it('fails when a request gets no answer within the timeout', async () => {
    const port = await listen(() => {}); // never answers
    const request = httpRequest('GET', '/', {});
    await expect(
      generateLoad({
        port,
        connections: 1,
        seconds: 0.2,
        timeoutMs: 300,
        script: () => ({ next: () => request, check: () => true }),
      }),
    ).rejects.toThrow(/no answer/);
  });
});
