import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@kit/core';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { loadConfig } from '../src/config.ts';
import { createDemoServer, type DemoServer, type DemoServerConfig } from '../src/create-demo-server.ts';
import { createDemoLogger } from '../src/logger.ts';
import { createLineSink } from './log-lines.ts';

/** The demo server in the test's own process, on a database of its own. */
export interface TestDemo {
  demo: DemoServer;
  db: TestDatabase;
  /** Every JSON line the demo logged so far (its pino logger writes here, not to standard output). */
  logLines: string[];
  /** Closes the server (listening or not) and drops its database. */
  close(): Promise<void>;
}

/**
 * Creates the demo server (`createDemoServer`, as `pnpm demo` does) on a fresh test database,
 * configured by `env` as the environment configures `pnpm demo` (on 127.0.0.1 at a port chosen when
 * it listens, with a `KIT_SECRET` of its own unless given), with `settings` on top. It prints
 * nothing unless `settings.print` says where, logs into {@link TestDemo.logLines} unless
 * `settings.logger` says where, and listens only once `demo.listen()` is called.
 */
export async function createTestDemo(
  env: Record<string, string> = {},
  settings: Partial<DemoServerConfig> = {},
): Promise<TestDemo> {
  const db = await createTestDatabase();
  // loadConfig makes the data directory; nothing is written there with DATABASE_URL and KIT_SECRET
  // set, and createDemoServer needs it only for an embedded PostgreSQL.
  const dataDir = mkdtempSync(join(tmpdir(), 'kit-demo-test-'));
  try {
    const config = await loadConfig(
      { HOST: '127.0.0.1', PORT: '0', KIT_SECRET: generateSecret(), ...env, DATABASE_URL: db.url },
      dataDir,
    );
    const sink = createLineSink();
    const demo = await createDemoServer({
      ...config,
      print: () => undefined,
      logger: createDemoLogger(sink),
      ...settings,
    });
    return {
      demo,
      db,
      logLines: sink.lines,
      async close() {
        await demo.close();
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
