/**
 * The load generator of the HTTP figures in a process of its own, started by http.ts. The bench
 * process holds every earlier figure's pools, kits and samples; a fresh, small process keeps its
 * garbage collection and timers out of the generator's way, as the servers' own child process
 * keeps the generator out of theirs.
 *
 * Requests of the parent (`@kit/test-support/child-process`):
 * - `dpop-clients` `{ name, count, loginUrl }`: `count` DPoP clients (dpop-client.ts), each with an
 *   ES256 key of its own, kept under `name`; answered with one login proof per client (`POST`
 *   `loginUrl`), for the server to bind a session to each key;
 * - `chains` `{ name, tokens, dpop? }`: one `POST /token` client per refresh token, kept under
 *   `name` so each chains its own session through every later window; with `dpop` `{ clients,
 *   url }`, client i sends a fresh proof by key i of `clients` with each refresh (`htu` `url`);
 * - `load` `{ port, connections, seconds, chain }` or `{ port, connections, seconds, get, headers }`:
 *   one window of {@link generateLoad}, answered with its {@link LoadResult}; a GET with `dpop`
 *   `{ clients, tokens, url }` sends, on connection i, `Authorization: DPoP <tokens[i]>` and a fresh
 *   proof by key i of `clients` (`htu` `url`, `ath` of that token) with each request;
 * - `stop`.
 *
 * A proof is signed per request, in this process: its CPU is the generator's, reported with every
 * figure (`generatorCpuMicrosPerOp`), never the server's.
 */
import { answerParent } from '@kit/test-support/child-process';
import { createDpopClient, type DpopClient } from './dpop-client.ts';
import { type ConnectionScript, generateLoad, httpRequest, type LoadResult } from './load-generator.ts';

/** DPoP proofs of a chain or a GET: by the clients kept under `clients`, for `url`. */
interface DpopLoad {
  clients: string;
  url: string;
}

/** A `chains` request. */
interface ChainsRequest {
  name: string;
  tokens: string[];
  dpop?: DpopLoad;
}

/** A `load` request: a named chain of `/token` clients, or a GET of a path. */
interface LoadRequest {
  port: number;
  connections: number;
  seconds: number;
  chain?: string;
  get?: string;
  headers?: Record<string, string>;
  /** A GET with DPoP-bound access tokens, one per connection. */
  dpop?: DpopLoad & { tokens: string[] };
}

const TOKEN_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

/**
 * One client of `POST /token` chaining its own session: every request presents the refresh token
 * the previous answer returned, as a real client does, with a fresh DPoP proof when `prove` is
 * given. An answer that is not a 200 token response (`token_type` DPoP with a proof) breaks the
 * chain and fails the run.
 */
function tokenChain(refreshToken: string, prove?: () => string): ConnectionScript {
  let token = refreshToken;
  const tokenType = prove ? 'DPoP' : undefined;
  return {
    next: () =>
      httpRequest(
        'POST',
        '/token',
        prove ? { ...TOKEN_HEADERS, dpop: prove() } : TOKEN_HEADERS,
        `grant_type=refresh_token&refresh_token=${token}`,
      ),
    check(status, body) {
      if (status !== 200) return false;
      const answer = JSON.parse(body.toString()) as { refresh_token?: unknown; token_type?: unknown };
      if (typeof answer.refresh_token !== 'string') return false;
      if (tokenType !== undefined && answer.token_type !== tokenType) return false;
      token = answer.refresh_token;
      return true;
    },
  };
}

const chains = new Map<string, ConnectionScript[]>();
const dpopClients = new Map<string, DpopClient[]>();

function clientsOf(name: string, count: number): DpopClient[] {
  const clients = dpopClients.get(name);
  if (!clients || clients.length < count) throw new Error(`no ${count} DPoP clients under ${name}`);
  return clients;
}

function load(request: LoadRequest): Promise<LoadResult> {
  let script: (i: number) => ConnectionScript;
  if (request.chain !== undefined) {
    const clients = chains.get(request.chain);
    if (!clients || clients.length < request.connections) {
      throw new Error(`no ${request.connections} clients in chain ${request.chain}`);
    }
    script = (i) => clients[i]!;
  } else if (request.get !== undefined && request.dpop !== undefined) {
    const { get: path, dpop } = request;
    const clients = clientsOf(dpop.clients, request.connections);
    if (dpop.tokens.length < request.connections) throw new Error(`no ${request.connections} DPoP tokens`);
    script = (i) => {
      const token = dpop.tokens[i]!;
      const prove = clients[i]!.prover('GET', dpop.url, token);
      // The request up to its last header, made once: only the proof changes per request.
      const headers = { ...request.headers, authorization: `DPoP ${token}` };
      const head = httpRequest('GET', path, headers).slice(0, -2);
      return {
        next: () => `${head}dpop: ${prove()}\r\n\r\n`,
        check: (status) => status === 200,
      };
    };
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
    'dpop-clients'({ name, count, loginUrl }) {
      const clients = Array.from({ length: Number(count) }, createDpopClient);
      dpopClients.set(String(name), clients);
      return clients.map((client) => client.prover('POST', String(loginUrl))());
    },
    chains(request) {
      const { name, tokens, dpop } = request as unknown as ChainsRequest;
      const clients = dpop ? clientsOf(dpop.clients, tokens.length) : undefined;
      chains.set(
        name,
        tokens.map((token, i) =>
          tokenChain(token, dpop && clients ? clients[i]!.prover('POST', dpop.url) : undefined),
        ),
      );
      return true;
    },
    load: (request) => load(request as unknown as LoadRequest),
  },
  stop: () => undefined,
  // Its errors carry no input (a chain missing, a refused connection): the message says most.
  describeError: (error) => String((error as Error)?.message ?? error),
});
