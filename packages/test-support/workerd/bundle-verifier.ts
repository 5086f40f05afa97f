import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

/** A Cloudflare Worker that verifies bearer tokens with `@kit/core/verify` (`worker.ts` here). */
export const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * A Worker that verifies requests, DPoP-bound tokens and their proofs included, with
 * `createRequestVerifier` (`dpop-worker.ts` here).
 */
export const DPOP_WORKER_ENTRY = fileURLToPath(new URL('./dpop-worker.ts', import.meta.url));

/**
 * The same Worker with the verifier's reporting on: the OpenTelemetry API and SDK bundled in, a
 * logger that keeps its lines, `GET /metrics` and `GET /logs` (`telemetry-worker.ts` here).
 */
export const TELEMETRY_WORKER_ENTRY = fileURLToPath(new URL('./telemetry-worker.ts', import.meta.url));

/** Options of {@link bundleVerifier}. */
export interface BundleOptions {
  /**
   * Packages the build must do without, as if they were not installed: importing one (or a file
   * of one) fails the build.
   */
  unavailable?: readonly string[];
}

/** What bundling a verifier entry produced. */
export interface VerifierBundle {
  code: string;
  /** Minified bytes. */
  bytes: number;
  /** Gzip (level 9) bytes. */
  gzipBytes: number;
  /** Every import path esbuild saw in the bundled inputs. */
  imports: string[];
}

/**
 * Bundles an entry for an edge runtime as Wrangler would: esbuild, ESM, platform `browser`
 * (no Node built-ins resolvable, so a `node:` import fails the build instead of slipping through),
 * minified. `entry` is a file path or a package specifier such as `@kit/core/verify` (resolved with
 * the edge conditions, so the Web Crypto entry, never the `node` one). Used by the workerd tests
 * and by `pnpm bench` for the size figure.
 */
export async function bundleVerifier(entry: string, options: BundleOptions = {}): Promise<VerifierBundle> {
  const result = await build({
    plugins: options.unavailable?.length ? [notInstalled(options.unavailable)] : [],
    entryPoints: [entry],
    // Bare specifiers resolve from this package, which links the workspace's @kit/core.
    absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
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
  const code = result.outputFiles[0]!.text;
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length, imports };
}

/** Fails the resolution of `packages` (and their subpaths), as a missing install would. */
function notInstalled(packages: readonly string[]): Plugin {
  return {
    name: 'not-installed',
    setup(plugin) {
      plugin.onResolve({ filter: /.*/ }, ({ path }) =>
        packages.some((name) => path === name || path.startsWith(`${name}/`))
          ? { errors: [{ text: `${path} is not installed` }] }
          : undefined,
      );
    },
  };
}
