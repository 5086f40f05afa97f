/**
 * The load generator of the HTTP figures in a process of its own, started by http.ts. The bench
 * process holds every earlier figure's pools, kits and samples; a fresh, small process keeps its
 * garbage collection and timers out of the generator's way, as the servers' own child process
 * keeps the generator out of theirs.
 *
 * Requests of the parent (`@kit/test-support/child-process`):
 * - `chains` `{ name, tokens }`: one `POST /token` client per refresh token, kept under `name` so
 *   each chains its own session through every later window;
 * - `load` `{ port, connections, seconds, chain }` or `{ port, connections, seconds, get, headers }`:
 *   one window of {@link generateLoad}, answered with its {@link LoadResult};
 * - `stop`.
 */
import { answerParent } from '@kit/test-support/child-process';
import { type ConnectionScript, generateLoad, httpRequest, type LoadResult } from './load-generator.ts';

/** A `chains` request. */
interface ChainsRequest {
  name: string;
  tokens: string[];
}

/** A `load` request: a named chain of `/token` clients, or a GET of a path. */
interface LoadRequest {
  port: number;
  connections: number;
  seconds: number;
  chain?: string;
  get?: string;
  headers?: Record<string, string>;
}

/**
 * One client of `POST /token` chaining its own session: every request presents the refresh token
 * the previous answer returned, as a real client does. An answer that is not a 200 token response
 * breaks the chain and fails the run.
 */
function tokenChain(refreshToken: string): ConnectionScript {
  let token = refreshToken;
  return {
    next: () =>
      httpRequest(
        'POST',
        '/token',
        { 'content-type': 'application/x-www-form-urlencoded' },
        `grant_type=refresh_token&refresh_token=${token}`,
      ),
    check(status, body) {
      if (status !== 200) return false;
      const next = (JSON.parse(body.toString()) as { refresh_token?: unknown }).refresh_token;
      if (typeof next !== 'string') return false;
      token = next;
      return true;
    },
  };
}

const chains = new Map<string, ConnectionScript[]>();

function load(request: LoadRequest): Promise<LoadResult> {
  let script: (i: number) => ConnectionScript;
  if (request.chain !== undefined) {
    const clients = chains.get(request.chain);
    if (!clients || clients.length < request.connections) {
      throw new Error(`no ${request.connections} clients in chain ${request.chain}`);
    }
    script = (i) => clients[i]!;
  } else if (request.get !== undefined) {
    const bytes = httpRequest('GET', request.get, request.headers ?? {});
    script = () => ({ next: () => bytes, check: (status) => status === 200 });
  } else {
    throw new Error('a load request needs a chain or a path to GET');
  }
  return generateLoad({
    port: request.port,
    connections: request.connections,
    seconds: request.seconds,
    script,
  });
}

answerParent({
  handlers: {
    chains(request) {
      const { name, tokens } = request as unknown as ChainsRequest;
      chains.set(name, tokens.map(tokenChain));
      return true;
    },
    load: (request) => load(request as unknown as LoadRequest),
  },
  stop: () => undefined,
  // Its errors carry no input (a chain missing, a refused connection): the message says most.
  describeError: (error) => String((error as Error)?.message ?? error),
});
