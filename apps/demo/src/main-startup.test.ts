import { createServer, type Server } from 'node:net';
import { generateSecret } from '@kit/core';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, stopAllDemos } from '../test/demo-process.ts';

/** The demo's start-up failures a user meets first: one sentence each, never a stack trace. */
describe('demo start-up failures', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await stopAllDemos();
    await db?.drop();
  });

  it('says in one sentence that its port is taken, and exits 1', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const failure = await startDemo('port-taken', {
        DATABASE_URL: db.url,
        KIT_SECRET: generateSecret(),
        PORT: String(port),
      }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(failure).toContain('exited (code 1, signal null) before it was ready');
      // One JSON line with the sentence (and the code), not a stack trace.
      expect(failure).toContain(
        `"code":"EADDRINUSE","msg":"demo: 127.0.0.1:${port} is already in use: set PORT to another port."}`,
      );
      expect(failure).not.toMatch(/^\s+at /m);
    } finally {
      holder.close();
    }
  });
});
