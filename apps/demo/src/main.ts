import { fileURLToPath } from 'node:url';
import { exitOnEmbeddedPostgresError } from '@kit/embedded-postgres';
import { loadConfig } from './config.ts';
import { createDemoServer } from './create-demo-server.ts';
import { createGracefulShutdown } from './graceful-shutdown.ts';
import { createDemoLogger } from './logger.ts';

// Every line is JSON on standard output (pino, written synchronously), except the one line scripts
// wait for: `listening on http://HOST:PORT`.
const logger = createDemoLogger();
const demoLog = logger.child({ component: 'demo' });
const dataDir = fileURLToPath(new URL('../.data', import.meta.url));
const config = await loadConfig(process.env, dataDir).catch((error: unknown) => {
  // A configuration mistake is one sentence saying what to do, not a stack trace. The sentence names
  // a variable or a path, never a value read from one.
  demoLog.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  return process.exit(1);
});

const demo = await createDemoServer({ ...config, logger }).catch(exitOnEmbeddedPostgresError);

// A port in use (or not permitted) is one sentence, not a stack trace; exiting stops the embedded
// database too.
await demo.listen().catch((error: NodeJS.ErrnoException) => {
  const reason = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
  demoLog.error(
    { code: error.code },
    `demo: ${config.host}:${config.port} ${reason}: set PORT to another port.`,
  );
  return process.exit(1);
});

// SIGTERM (an orchestrator) or SIGINT (Ctrl-C): refuse new connections, let requests in flight
// finish (10 s at most), then stop the pruner and close the pools (the PostgreSQL rate-limit store
// shares the ORM's) and the embedded database; exit 0, or 1 past the bound. A second signal changes
// nothing (Ctrl-C under `pnpm demo` reaches the server twice: from the terminal and from pnpm).
const shutdown = createGracefulShutdown({
  server: demo.server,
  controller: demo.shutdownController,
  drainMs: 10_000,
  cleanup: demo.cleanup,
  log: (line) => demoLog.info(line),
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void shutdown(signal));
}
