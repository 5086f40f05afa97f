/**
 * `bun src/bun.ts`: the checks of `check.ts` under Bun, with the API served by `Bun.serve`.
 * Exits 0 when every check passed.
 */
import { runChecks } from './check.ts';

/** The part of Bun's global this file uses (the example does not depend on bun-types). */
declare const Bun: {
  version: string;
  env: Record<string, string | undefined>;
  serve(options: { port: number; hostname: string; fetch(request: Request): Response | Promise<Response> }): {
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void>;
  };
};

const failures = await runChecks({
  name: `Bun ${Bun.version}`,
  env: (name) => Bun.env[name],
  async serve(fetch) {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch });
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
  },
});
process.exit(failures === 0 ? 0 : 1);
