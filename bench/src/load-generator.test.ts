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

/**
 * A server for chained clients: client `c<i>` sends `c<i>:<n>` and is answered `n + 1` after
 * `delayMs`; `seen` records, per client, every number the server received, in order.
 */
async function chainServer(delayMs = 0): Promise<{ port: number; seen: Map<string, number[]> }> {
  const seen = new Map<string, number[]>();
  const port = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const [client, n] = body.split(':') as [string, string];
      seen.set(client, [...(seen.get(client) ?? []), Number(n)]);
      setTimeout(() => {
        const answer = String(Number(n) + 1);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': answer.length });
        res.end(answer);
      }, delayMs);
    });
  });
  return { port, seen };
}

/** Client i of a chain: presents the number its previous answer returned. */
function chainClient(i: number) {
  let n = 0;
  return {
    next: () => httpRequest('POST', '/chain', { 'content-type': 'text/plain' }, `c${i}:${n}`),
    check(status: number, body: Buffer) {
      n = Number(body.toString());
      return status === 200;
    },
  };
}

/** Every client presented 0, 1, 2, … once each: each answer made the next request. */
function expectUnbrokenChains(seen: Map<string, number[]>, clients: number): void {
  expect(seen.size).toBe(clients);
  for (const numbers of seen.values()) expect(numbers).toEqual(numbers.map((_, i) => i));
}

describe('generateLoad', () => {
  it('chains requests per connection and counts what passed its check', async () => {
    const { port, seen } = await chainServer();
    const result = await generateLoad({ port, connections: 3, seconds: 0.3, script: chainClient });
    expect(result.ok).toBeGreaterThan(10);
    expect(result.failed).toBe(0);
    expect(result.seconds).toBeCloseTo(0.3, 1);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
    expect(result.generatorCpuMicrosPerOp).toBeGreaterThan(0);
    expectUnbrokenChains(seen, 3);
  });

  it('closes a window cleanly: a chained client continues in the next window without a gap', async () => {
    // Answers slow enough that requests are in flight whenever a window ends.
    const { port, seen } = await chainServer(5);
    const clients = [0, 1, 2, 3].map(chainClient);
    const load = () => generateLoad({ port, connections: 4, seconds: 0.1, script: (i) => clients[i]! });
    expect((await load()).ok).toBeGreaterThan(0);
    expect((await load()).ok).toBeGreaterThan(0);
    expectUnbrokenChains(seen, 4);
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

  /** One connection GETting / for 0.2 s, every answer accepted: for the failure cases. */
  const getOnce = (port: number, timeoutMs?: number) => {
    const request = httpRequest('GET', '/', {});
    return generateLoad({
      port,
      connections: 1,
      seconds: 0.2,
      timeoutMs,
      script: () => ({ next: () => request, check: () => true }),
    });
  };

  it('refuses a response it cannot frame by content-length', async () => {
    const port = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no length: chunked
      res.end('ok');
    });
    await expect(getOnce(port)).rejects.toThrow(/chunked/);
  });

  it('fails when the server closes a keep-alive connection', async () => {
    const port = await listen((req) => req.socket.destroy());
    await expect(getOnce(port)).rejects.toThrow(/closed/);
  });

  it('fails when a request gets no answer within the timeout', async () => {
    const port = await listen(() => {}); // never answers
    await expect(getOnce(port, 300)).rejects.toThrow(/no answer/);
  });
});
