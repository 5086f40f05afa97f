import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The Worker bundled as Wrangler would: one ESM file for an edge runtime. */
export interface WorkerBundle {
  code: string;
  /** Every import path esbuild met in the bundled sources. */
  imports: string[];
}

/**
 * Bundles `worker.ts` with esbuild for the `browser` platform and the `workerd` export condition:
 * Node built-ins cannot be resolved there, so a `node:` import anywhere in the Worker's graph fails
 * the build instead of slipping through.
 */
export async function bundleWorker(): Promise<WorkerBundle> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  return { code: result.outputFiles[0]!.text, imports };
}
