/**
 * `deno run --allow-net=127.0.0.1 --allow-env src/deno.ts`: the checks of `check.ts` under Deno,
 * with the API served by `Deno.serve`. Exits 0 when every check passed.
 */
import { runChecks } from './check.ts';

/** The part of Deno's global this file uses (the example does not depend on Deno's types). */
declare const Deno: {
  version: { deno: string };
  env: { get(name: string): string | undefined };
  serve(
    options: { port: number; hostname: string; onListen?(address: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
  exit(code: number): never;
};

const failures = await runChecks({
  name: `Deno ${Deno.version.deno}`,
  env: (name) => Deno.env.get(name),
  async serve(fetch) {
    const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, fetch);
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  },
});
Deno.exit(failures === 0 ? 0 : 1);
