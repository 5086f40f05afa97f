import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/kit.js', import.meta.url));

/**
 * The CLI where the optional MikroORM peers are not installed, as in a deployment that only
 * verifies tokens: a module hook makes every `@mikro-orm/*` import fail as Node does for a missing
 * package. The generators must still work; the database commands must say what to install.
 */
describe('kit without the MikroORM peers', () => {
  let dir: string;
  let nodeOptions: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-no-orm-'));
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@mikro-orm/')) {
    throw Object.assign(new Error(\`Cannot find package '\${specifier}'\`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return next(specifier, context);
}
`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    // NODE_OPTIONS reaches the child process that bin/kit.js starts.
    nodeOptions = `--import=${pathToFileURL(register).href}`;
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function kit(args: string[]) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, NODE_OPTIONS: nodeOptions, DATABASE_URL: 'postgres://127.0.0.1:1/none' } },
        (error, stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  it('generates a secret and a signing key set', async () => {
    const secret = await kit(['secret', 'generate']);
    expect(secret.stderr).toBe('');
    expect(secret.code).toBe(0);
    expect(secret.stdout.trim().length).toBeGreaterThanOrEqual(43);

    const keys = await kit(['keys', 'generate']);
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout).keys).toHaveLength(1);
  }, 30_000);

  it('names the peers to install for a database command, with no stack trace', async () => {
    const migrate = await kit(['migrate']);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toBe(
      'kit: The database commands need the MikroORM peers: install @mikro-orm/core@^6.6.16 and @mikro-orm/postgresql@^6.6.16.\n',
    );
  }, 30_000);
});
