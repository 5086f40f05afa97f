#!/usr/bin/env node
/**
 * Runs docs/getting-started.md as a newcomer would, and checks that it delivers what it promises.
 *
 * The commands are taken from the page itself, never copied here: every ```sh block, in order.
 * Conventions of the page (HTML comments, invisible when it is rendered):
 *
 * - `<!-- getting-started: server "<line>" -->` right before a block: the block starts a server.
 *   It runs in the background, as in a first terminal, and the following blocks run once its
 *   output contains `<line>`. It is stopped with Ctrl-C (SIGINT) at the end.
 * - `<!-- getting-started: skip -->` right before a block: not run (an alternative, an aside).
 * - Every other ```sh block runs in one bash shell, as in a second terminal: variables set by one
 *   block (`TOKEN=$(curl ...)`) are seen by the next. A failing command fails the run.
 *
 * They run in a fresh copy of the repository (its tracked and unignored files: no node_modules, no
 * `.data`), with DATABASE_URL unset, so the embedded PostgreSQL is what the page gets, as on a
 * machine with no PostgreSQL installed. Pass `--keep` to keep the copy.
 *
 * Then it checks the outcome with its own means (node:crypto, fetch), not the kit's: the access
 * token verifies against the server's JWKS, the refresh rotated to a different token, the retry
 * within the grace got the same one, the protected route and the edge verifier answered 200, and
 * the replay after the grace was refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fencedBlocks } from './markdown-files.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = 'docs/getting-started.md';
const keep = process.argv.includes('--keep');

/** The page's runnable blocks, in order. */
function extractBlocks(markdown) {
  const found = fencedBlocks(markdown, 'getting-started');
  if (found.stray.length > 0) {
    fail(`${PAGE}:${found.stray[0].line}: a getting-started marker must come right before a shell block`);
  }
  const blocks = [];
  for (const { lang, line, code, marker } of found.blocks) {
    const shell = lang === 'sh' || lang === 'bash' || lang === 'shell';
    if (!shell) {
      if (marker)
        fail(`${PAGE}:${marker.line}: a getting-started marker must come right before a shell block`);
      continue;
    }
    const block = { line, code, kind: 'run' };
    if (marker?.text === 'skip') block.kind = 'skip';
    else if (marker !== undefined) {
      const server = /^server\s+"(.+)"$/.exec(marker.text);
      if (!server) fail(`${PAGE}:${marker.line}: unknown marker "getting-started: ${marker.text}"`);
      block.kind = 'server';
      block.ready = server[1];
    }
    blocks.push(block);
  }
  return blocks;
}

function fail(message) {
  throw new Error(message);
}

/** A copy of the repository as a fresh clone of this tree would have it. */
function copyRepository() {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) fail(`git ls-files failed: ${listed.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'kit-getting-started-'));
  // As root, the embedded PostgreSQL runs as the `postgres` user, who must reach its data directory.
  chmodSync(dir, 0o755);
  const work = join(dir, 'kit');
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = join(root, file);
    let stat;
    try {
      stat = lstatSync(from);
    } catch {
      continue; // deleted in the working tree
    }
    const to = join(work, file);
    mkdirSync(dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isFile()) copyFileSync(from, to);
  }
  return { dir, work };
}

/** One bash shell that runs blocks one after another, keeping its variables between them. */
function startShell(cwd, env, scratch) {
  const shell = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let exited;
  const waiters = new Set();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  shell.stdout.on('data', (chunk) => {
    const text = chunk.toString();
    output += text;
    process.stdout.write(text.replace(/\n?@@[^@\n]*@@\n/g, ''));
    notify();
  });
  shell.stderr.on('data', (chunk) => process.stderr.write(chunk));
  shell.on('exit', (code, signal) => {
    exited = { code, signal };
    notify();
  });
  shell.stdin.write('set -euo pipefail\n');
  let count = 0;

  /** Runs `code` as one block; resolves to what it printed (stdout and stderr together). */
  function run(code, timeoutMs) {
    const n = ++count;
    const file = join(scratch, `block-${n}.sh`);
    writeFileSync(file, `${code}\n`);
    const start = output.length;
    const sentinel = `@@done ${n}@@`;
    // stdin from /dev/null: a command that reads its input must not swallow the next commands.
    shell.stdin.write(`source ${JSON.stringify(file)} </dev/null 2>&1\nprintf '\\n%s\\n' '${sentinel}'\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      const check = () => {
        const at = output.indexOf(sentinel, start);
        if (at >= 0) finish(undefined, output.slice(start, at));
        else if (exited)
          finish(new Error(`the shell exited (${exited.signal ?? `code ${exited.code}`}): a command failed`));
      };
      const finish = (error, text) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(text);
      };
      waiters.add(check);
      check();
    });
  }

  async function variable(name) {
    const text = await run(`printf '@@var %s@@\\n' "\${${name}-}"`, 10_000);
    return /@@var (.*)@@/.exec(text)?.[1] ?? '';
  }

  return { run, variable, close: () => shell.stdin.end() };
}

/** A background block, as in a terminal of its own: a process group of its own. */
function startServer(code, cwd, env) {
  const child = spawn('bash', ['-c', code], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited;
  const onData = (chunk) => {
    output += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line) process.stdout.write(`  [server] ${line}\n`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const done = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  return {
    output: () => output,
    async ready(line, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(line)) {
        if (exited)
          fail(`the server exited (${exited.signal ?? `code ${exited.code}`}) before printing "${line}"`);
        if (Date.now() > deadline) fail(`the server did not print "${line}" within ${timeoutMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      if (exited) return;
      try {
        process.kill(-child.pid, 'SIGINT'); // Ctrl-C: the whole group, the embedded PostgreSQL included
      } catch {}
      const timeout = new Promise((resolve) => setTimeout(resolve, 20_000, 'timeout'));
      if ((await Promise.race([done, timeout])) === 'timeout') {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
        return 'the server did not stop within 20 s of Ctrl-C';
      }
      return undefined;
    },
  };
}

function portTaken(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket.destroy() || true));
    socket.once('error', () => resolve(false));
  });
}

const HASHES = { ES256: 'sha256', ES384: 'sha384', RS256: 'sha256', PS256: 'sha256', EdDSA: null };

/** Verifies a JWT's signature with node:crypto against the JWKS at `jwksUrl`; returns its claims. */
async function verifyJwt(token, jwksUrl) {
  const parts = String(token).split('.');
  if (parts.length !== 3) fail(`not a JWT: "${String(token).slice(0, 20)}..."`);
  const [h, p, s] = parts;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  if (header.typ !== 'at+jwt') fail(`the access token's typ is ${header.typ}, not at+jwt`);
  if (!(header.alg in HASHES)) fail(`unexpected algorithm ${header.alg}`);
  const jwks = await (await fetch(jwksUrl)).json();
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) fail(`no key ${header.kid} in ${jwksUrl}`);
  if ('d' in jwk) fail('the JWKS publishes a private key');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const options = header.alg.startsWith('ES')
    ? { key, dsaEncoding: 'ieee-p1363' }
    : header.alg === 'PS256'
      ? { key, padding: 6, saltLength: 32 }
      : { key };
  if (!verifySignature(HASHES[header.alg], Buffer.from(`${h}.${p}`), options, Buffer.from(s, 'base64url'))) {
    fail('the access token signature does not verify against the JWKS');
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) fail('the access token has expired');
  return claims;
}

function json(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    fail(`${what} is not JSON: ${String(text).slice(0, 200)}`);
  }
}

async function main() {
  const started = Date.now();
  const blocks = extractBlocks(readFileSync(join(root, PAGE), 'utf8'));
  const runnable = blocks.filter((block) => block.kind !== 'skip');
  if (runnable.length === 0) fail(`${PAGE} has no sh blocks`);
  const servers = runnable.filter((block) => block.kind === 'server');
  for (const server of servers) {
    const port = /:(\d+)\b/.exec(server.ready)?.[1];
    if (port && (await portTaken(Number(port)))) {
      fail(`port ${port} is already in use: the page's server could not start (stop what holds it)`);
    }
  }

  const { dir, work } = copyRepository();
  const scratch = join(dir, 'blocks');
  mkdirSync(scratch);
  console.log(`${PAGE}: ${runnable.length} blocks, run in a fresh copy of the repository`);
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const shell = startShell(work, env, scratch);
  const running = [];
  const outputs = [];
  let ok = false;
  try {
    for (const block of runnable) {
      console.log(
        `\n--- ${PAGE}:${block.line}${block.kind === 'server' ? ' (server, in the background)' : ''}`,
      );
      for (const line of block.code.split('\n')) console.log(`$ ${line}`);
      if (block.kind === 'server') {
        const server = startServer(block.code, work, env);
        running.push(server);
        await server.ready(block.ready, 180_000);
        outputs.push({ block, text: server.output() });
      } else {
        try {
          outputs.push({ block, text: await shell.run(block.code, 600_000) });
        } catch (error) {
          fail(`the block at ${PAGE}:${block.line} failed: ${error.message}`);
        }
      }
    }

    console.log('\n--- checking the outcome');
    const origin = /listening on (http:\/\/[^\s]+)/.exec(servers[0] ? servers[0].ready : '')?.[1];
    if (!origin) fail('the page starts no server that prints "listening on http://..."');
    const vars = {};
    for (const name of ['ACCESS', 'REFRESH', 'NEXT', 'NEXT_REFRESH', 'AGAIN']) {
      vars[name] = await shell.variable(name);
      if (!vars[name]) fail(`the page no longer sets $${name}: update the checks of this script with it`);
    }
    const checks = [];
    const check = (what, condition, detail = '') => {
      if (!condition) fail(`${what}${detail ? `: ${detail}` : ''}`);
      checks.push(what);
    };
    const outputOf = (pattern) => {
      const found = outputs.filter(({ block }) => pattern.test(block.code));
      if (found.length !== 1) fail(`expected one block matching ${pattern}, found ${found.length}`);
      return found[0].text;
    };

    const claims = await verifyJwt(vars.ACCESS, `${origin}/.well-known/jwks.json`);
    check('the access token verifies against the JWKS', claims.sub === 'user_alice', `sub ${claims.sub}`);
    check('its issuer and audience are the app', claims.iss === origin && claims.aud === origin);
    check('the refresh token is a kit refresh token', vars.REFRESH.startsWith('kit_rt_'));

    const me = await fetch(`${origin}/me`, { headers: { authorization: `Bearer ${vars.ACCESS}` } });
    check('the protected route answers 200', me.status === 200, `got ${me.status}`);
    check("the page's call of the protected route got alice", /"user":"user_alice"/.test(outputOf(/\/me\b/)));
    check(
      'the protected route refuses a request without a token',
      (await fetch(`${origin}/me`)).status === 401,
    );
    check(
      'the edge Worker verified the token in workerd',
      /workerd answered 200: \{"user":"user_alice"/.test(outputOf(/example-edge-worker verify/)),
    );

    const next = json(vars.NEXT, 'the refresh answer');
    check(
      'the refresh rotated the refresh token',
      next.refresh_token?.startsWith('kit_rt_') && next.refresh_token !== vars.REFRESH,
    );
    check(
      'the refresh answered a new access token',
      (await verifyJwt(next.access_token, `${origin}/.well-known/jwks.json`)).sub === 'user_alice',
    );
    check('$NEXT_REFRESH is the new refresh token', vars.NEXT_REFRESH === next.refresh_token);
    const again = json(vars.AGAIN, 'the retry answer');
    check(
      'the retry within the grace got the same new refresh token',
      again.refresh_token === next.refresh_token,
    );
    check('the page printed true for it', /(^|\n)true\s*$/.test(outputOf(/AGAIN=/)));

    const replay = outputOf(/sleep \d+/);
    check(
      'the replay after the grace was refused twice',
      (replay.match(/"error":"invalid_grant"/g) ?? []).length === 2,
      replay,
    );
    const after = await fetch(`${origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(vars.NEXT_REFRESH)}`,
    });
    check('the session stays revoked', after.status === 400);
    check(
      "the app's terminal reported the reuse",
      /reuse detected: session \S+ revoked/.test(running[0].output()),
    );

    for (const line of checks) console.log(`ok: ${line}`);
    ok = true;
  } finally {
    shell.close();
    for (const server of running) {
      const problem = await server.stop();
      if (problem) {
        console.error(problem);
        ok = false;
        process.exitCode = 1;
      }
    }
    if (ok && !keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`\nthe copy is kept in ${dir}`);
  }
  console.log(`\n${PAGE} works as written (${Math.round((Date.now() - started) / 1000)} s)`);
}

main().catch((error) => {
  console.error(`\nrun-getting-started: ${error.message}`);
  process.exit(1);
});
