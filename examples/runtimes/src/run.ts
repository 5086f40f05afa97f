/**
 * `tsx src/run.ts DIR COMMAND...`: the auth server on Node, then the runtimes' checks against it.
 *
 * Starts the kit on PostgreSQL (`DATABASE_URL`, migrated here) with a signing key generated for
 * this run, serves its routes (the JWKS among them) on 127.0.0.1, and issues three access tokens:
 * a valid one, one already expired (from a kit whose clock runs an hour behind) and one for another
 * audience, all signed with the published key. Then runs each COMMAND (one argument each, split on
 * spaces, e.g. `'bun src/bun.ts'`) in DIR with `KIT_ISSUER`, `KIT_AUDIENCE`, `KIT_JWKS_URL` and
 * `KIT_RUNTIME_TOKENS` set, one after another. Exits 0 when every command did.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type AuthKitOptions, createAuthKit, generateSecret, generateSigningKeys } from '@kit/core';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import { createKitRoutes } from '@kit/hono';
import { Hono } from 'hono';
import type { IssuedTokens } from './check.ts';

const [dir, ...commands] = process.argv.slice(2);
const databaseUrl = process.env.DATABASE_URL;
if (!dir || commands.length === 0 || !databaseUrl) {
  console.error('usage: DATABASE_URL=postgres://... tsx src/run.ts DIR COMMAND...');
  process.exit(2);
}

const issuer = 'https://auth.example.test';
const audience = 'https://api.example.test';
const user = 'user-runtimes';

const orm = await createKitOrm({ databaseUrl });
await migrate(orm);
const options: AuthKitOptions = {
  issuer,
  audience,
  secret: generateSecret(),
  signingKeys: await generateSigningKeys({ alg: 'ES256' }),
  store: createMikroOrmStore({ orm }),
};
const kit = await createAuthKit(options);
const behind = await createAuthKit({ ...options, clock: () => Date.now() - 3_600_000 });
const elsewhere = await createAuthKit({ ...options, audience: 'https://other-api.example.test' });

const app = new Hono();
app.route('/', createKitRoutes(kit));
const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (address: AddressInfo) =>
    resolve({ server, port: address.port }),
  );
});

/**
 * Runs one command; resolves to its exit code, or 1 when it printed a runtime warning (a
 * deprecation, say) on stderr: users would see it in their logs, so it fails the run too.
 */
function run(command: string, env: Record<string, string>): Promise<number> {
  const [file, ...args] = command.split(' ').filter((part) => part !== '');
  return new Promise((resolve) => {
    const child = spawn(file!, args, {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      console.error(`${file}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      if (/Warning\b/.test(stderr)) {
        console.error(`${file} printed a warning`);
        resolve(1);
      } else resolve(code ?? (signal ? 1 : 0));
    });
  });
}

let failed = 0;
try {
  const tokens: IssuedTokens = {
    valid: (await kit.createSession({ userId: user })).accessToken,
    expired: (await behind.createSession({ userId: user })).accessToken,
    wrongAudience: (await elsewhere.createSession({ userId: user })).accessToken,
    user,
  };
  const env = {
    KIT_ISSUER: issuer,
    KIT_AUDIENCE: audience,
    KIT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    KIT_RUNTIME_TOKENS: JSON.stringify(tokens),
  };
  for (const command of commands) {
    const code = await run(command, env);
    if (code !== 0) {
      failed++;
      console.error(`${command}: exited with ${code}`);
    }
  }
} finally {
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([kit.close(), behind.close(), elsewhere.close()]);
  await orm.close();
}
process.exitCode = failed === 0 ? 0 : 1;
