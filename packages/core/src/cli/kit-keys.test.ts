import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kit, migratedDatabase, SECRET } from './kit-test-support.ts';

describe('kit keys rotate', () => {
  const db = migratedDatabase({ beforeAll, afterAll });

  async function rows() {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (
        await client.query('select kid, created_at, activates_at from kit_signing_keys order by activates_at')
      ).rows;
    } finally {
      await client.end();
    }
  }

  it('stores the first key, then a next key published a lead time ahead', async () => {
    const first = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: SECRET });
    expect(first.code).toBe(0);
    const next = await kit(['keys', 'rotate', '--lead', '10m', '--alg', 'EdDSA'], {
      DATABASE_URL: db.url,
      KIT_SECRET: SECRET,
    });
    expect(next.code).toBe(0);
    const stored = await rows();
    expect(stored.map((r) => r.kid)).toEqual([first.stdout.trim(), next.stdout.trim()]);
    const lead = stored[1]!.activates_at.getTime() - stored[1]!.created_at.getTime();
    expect(lead).toBe(600_000);
    for (const output of [first, next]) expect(output.stderr).not.toContain(SECRET);
  }, 60_000);

  it('fails with a usage error without KIT_SECRET, and with ERR_KEY_INVALID under another secret', async () => {
    const missing = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: '' });
    expect(missing.code).toBe(2);
    const other = 'another-cli-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA-987654';
    const wrong = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: other });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('ERR_KEY_INVALID');
    expect(wrong.stderr).not.toContain(other);
    expect(await rows()).toHaveLength(2);
  }, 60_000);
});

describe('kit keys delete', () => {
  const db = migratedDatabase({ beforeAll, afterAll });
  const HOUR = 3_600_000;

  async function query<T extends Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Three stored keys: `old` retired 2 h ago, `recent` retired 60 s ago, `current` signing. */
  async function threeKeys() {
    await query('delete from kit_signing_keys');
    const kids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await kit(['keys', 'rotate'], { DATABASE_URL: db.url, KIT_SECRET: SECRET });
      expect(result.code).toBe(0);
      kids.push(result.stdout.trim());
    }
    const now = Date.now();
    const activations = [now - 3 * HOUR, now - 2 * HOUR, now - 60_000];
    for (const [i, kid] of kids.entries()) {
      await query('update kit_signing_keys set created_at = $2, activates_at = $2 where kid = $1', [
        kid,
        new Date(activations[i]!),
      ]);
    }
    const [old, recent, current] = kids as [string, string, string];
    return { old, recent, current };
  }

  const storedKids = async () =>
    (await query<{ kid: string }>('select kid from kit_signing_keys order by activates_at')).map(
      (r) => r.kid,
    );

  it('refuses the current key and a recently retired one, deletes an old retired one', async () => {
    const { old, recent, current } = await threeKeys();
    const env = { DATABASE_URL: db.url, KIT_SECRET: '' };

    const listed = await kit(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 3)),
    ).toEqual([
      [old, 'ES256', 'deletable'],
      [recent, 'ES256', 'retired'],
      [current, 'ES256', 'signing'],
    ]);

    const signing = await kit(['keys', 'delete', `--kid=${current}`], env);
    expect(signing.code).toBe(1);
    expect(signing.stderr).toContain('ERR_KEY_IN_USE');
    expect(signing.stderr).toContain('is signing now');

    const retired = await kit(['keys', 'delete', `--kid=${recent}`], env);
    expect(retired.code).toBe(1);
    expect(retired.stderr).toContain('ERR_KEY_IN_USE');
    expect(retired.stderr).toMatch(/retired at .*It can be deleted from /);

    // Retired 2 h ago: too recent when access tokens live 3 h.
    const longTtl = await kit(['keys', 'delete', `--kid=${old}`, '--access-ttl', '3h'], env);
    expect(longTtl.code).toBe(1);
    expect(longTtl.stderr).toContain('ERR_KEY_IN_USE');
    expect(await storedKids()).toEqual([old, recent, current]);

    const deleted = await kit(['keys', 'delete', `--kid=${old}`], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`${old}\n`);
    expect(deleted.stderr).toContain(`deleted key ${old}`);
    expect(await storedKids()).toEqual([recent, current]);
    // Only the kid is ever printed: no key material, no secret.
    for (const output of [listed, signing, retired, longTtl, deleted]) {
      expect(`${output.stdout}${output.stderr}`).not.toMatch(/"d"|encrypted|BEGIN/);
      expect(`${output.stdout}${output.stderr}`).not.toContain(SECRET);
    }
  }, 120_000);

  it('an unknown kid fails with ERR_KEY_NOT_FOUND; a missing kid or --force without --yes is a usage error', async () => {
    const env = { DATABASE_URL: db.url };
    // A kid may begin with '-' (base64url): the = form passes it as a value, never as an option.
    const unknown = await kit(['keys', 'delete', '--kid=-no-such-kid'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ERR_KEY_NOT_FOUND');
    expect((await kit(['keys', 'delete'], env)).code).toBe(2);
    const { current } = await threeKeys();
    const unconfirmed = await kit(['keys', 'delete', `--kid=${current}`, '--force'], env);
    expect(unconfirmed.code).toBe(2);
    expect(await storedKids()).toContain(current);
  }, 120_000);
});
