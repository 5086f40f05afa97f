/**
 * The bench's server processes run the code as it ships. Each entry is bundled once per run into
 * `bench/.build/`, compiled as the packages' published build compiles them (ES2022, function
 * names not kept), with `@kit/*` taken from their sources and every other package loaded by Node
 * from where it is installed.
 *
 * Why not tsx, which the rest of the bench runs under: tsx transforms with esbuild's `keepNames`,
 * so every function created at run time also costs an `Object.defineProperty` call. The published
 * build makes none, and the cost falls unevenly: on code that creates closures per request (the
 * kit's layers more than a bare server's single handler). `BENCH_HTTP_LOADER=tsx` runs the
 * servers through tsx as before, to compare.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const OUT_DIR = fileURLToPath(new URL('../.build/', import.meta.url));

/** Whether the servers run bundled (the default) or through tsx (`BENCH_HTTP_LOADER=tsx`). */
export function bundlesServers(): boolean {
  const loader = process.env.BENCH_HTTP_LOADER ?? 'bundle';
  if (loader !== 'bundle' && loader !== 'tsx') throw new Error('BENCH_HTTP_LOADER is bundle or tsx.');
  return loader === 'bundle';
}

/**
 * Every bare import but `@kit/*` stays an import, of the file esbuild resolves it to: Node then
 * loads each package from its own installed location, with its own dependencies, exactly as it
 * would without the bundle.
 */
const installedPackages: Plugin = {
  name: 'installed-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.path.startsWith('@kit/')) return undefined;
      if (args.pluginData === 'installed-packages') return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'installed-packages',
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      if (resolved.external || !path.isAbsolute(resolved.path)) return { path: args.path, external: true };
      return { path: resolved.path, external: true };
    });
  },
};

const bundles = new Map<string, Promise<string>>();

/** The bundle of `entry` (a `.ts` module of this folder), made on first use. */
export function bundled(entry: string): Promise<string> {
  let made = bundles.get(entry);
  if (!made) {
    made = (async () => {
      mkdirSync(OUT_DIR, { recursive: true });
      const outfile = path.join(OUT_DIR, `${path.basename(entry, '.ts')}.mjs`);
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'es2022',
        conditions: ['development'],
        keepNames: false,
        logLevel: 'warning',
        plugins: [installedPackages],
      });
      return outfile;
    })();
    bundles.set(entry, made);
  }
  return made;
}
