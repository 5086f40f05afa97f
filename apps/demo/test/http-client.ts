import { createHash } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect, createServer } from 'node:net';

/** One HTTP answer, read whole. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * The client's own address. The servers limit rates per client address, as they see it on the
   * socket: each simulated client connects from an address of its own in 127.0.0.0/8.
   */
  localAddress?: string;
}

/** Liveness only: an answer later than this means a hung server, not a busy machine. */
const ANSWER_TIMEOUT_MS = 20_000;

/**
 * One request on a connection of its own (no keep-alive: a connection reused across a server kill
 * would blur which request was in flight). Rejects when the connection fails or is cut before the
 * whole answer arrived: that answer is lost.
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('answer aborted')));
        res.on('end', () => {
          if (!res.complete) return reject(new Error('answer cut short'));
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          });
        });
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `POST /token` with a refresh token, as a form. */
export function refreshAt(baseUrl: string, refreshToken: string, localAddress?: string): Promise<HttpAnswer> {
  return httpRequest(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    ...(localAddress ? { localAddress } : {}),
  });
}

/** `POST /login` as JSON. */
export function loginAt(
  baseUrl: string,
  username: string,
  password: string,
  localAddress?: string,
): Promise<HttpAnswer> {
  return httpRequest(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    ...(localAddress ? { localAddress } : {}),
  });
}

/** The `n`-th client address (n from 0 to 239): 127.0.0.16 onwards, all routed to loopback on Linux. */
export function clientAddress(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 239)
    throw new RangeError('client addresses are numbered 0 to 239');
  return `127.0.0.${16 + n}`;
}

/**
 * Throws unless this machine can connect from loopback addresses other than 127.0.0.1 (Linux
 * routes all of 127.0.0.0/8 to `lo`; macOS needs `sudo ifconfig lo0 alias 127.0.0.x` for each).
 */
export async function assertClientAddresses(): Promise<void> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: clientAddress(239) });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (error) =>
        reject(
          new Error(
            `These tests give each simulated client an address of its own in 127.0.0.0/8 (rate limits are per address), and connecting from ${clientAddress(239)} failed (${(error as NodeJS.ErrnoException).code}).`,
          ),
        ),
      );
    });
  } finally {
    server.close();
  }
}

/**
 * The fields of a refresh token, read as its documented format lays them out (`kit_rt_` and the
 * base64url of: version 1 byte, session id 16, generation 4 big-endian, secret 32, tag 16), with
 * the SHA-256 of the secret: what the session row must hold while this token is the current one.
 */
export function refreshTokenFields(token: string): {
  sessionId: string;
  generation: number;
  secretHash: string;
} {
  if (!token.startsWith('kit_rt_')) throw new Error('not a refresh token');
  const raw = Buffer.from(token.slice('kit_rt_'.length), 'base64url');
  if (raw.length !== 69 || raw[0] !== 1) throw new Error('not a version-1 refresh token');
  const hex = raw.subarray(1, 17).toString('hex');
  return {
    sessionId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    generation: raw.readUInt32BE(17),
    secretHash: createHash('sha256').update(raw.subarray(21, 53)).digest('hex'),
  };
}
