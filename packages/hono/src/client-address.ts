import type { Context } from 'hono';

/**
 * The client's address as the connection sees it, or `undefined` when the runtime does not tell:
 * the socket's remote address under `@hono/node-server`, `cf-connecting-ip` on Cloudflare Workers
 * (set by Cloudflare's edge, not by the client). Forwarding headers such as `X-Forwarded-For` are
 * never read: any client can write them. Behind a proxy you trust, pass your own `clientAddress`
 * function to the options instead.
 */
export function defaultClientAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: IncomingLike; server?: { incoming?: IncomingLike } } | undefined | null;
  const incoming = env?.server?.incoming ?? env?.incoming;
  const address = incoming?.socket?.remoteAddress;
  if (typeof address === 'string' && address !== '') return address;
  // On Workers the request carries a `cf` object and Cloudflare sets this header itself.
  if (typeof (c.req.raw as { cf?: unknown }).cf === 'object') {
    return c.req.header('cf-connecting-ip') || undefined;
  }
  return undefined;
}

interface IncomingLike {
  socket?: { remoteAddress?: string | undefined };
}
