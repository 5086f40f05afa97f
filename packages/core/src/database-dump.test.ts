import { TEST_SECRET } from '@kit/test-support';
import { createKitFixture, type KitFixture } from '@kit/test-support/kit-fixture';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KitError } from './errors.ts';
import { RefreshTokenCodec } from './tokens/refresh-token.ts';

/**
 * The contract: a full copy of the database must not let anyone refresh a session. This test
 * dumps every table after a login and 20 refreshes and tries every value in it as a refresh token,
 * and, assuming the attacker also holds KIT_SECRET, as the secret of a token it builds itself.
 */
describe('a database dump refreshes nothing', () => {
  let f: KitFixture;
  beforeAll(async () => {
    f = await createKitFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('no value of any table, used as a token or as a token secret, refreshes the session', async () => {
    const login = await f.kit.createSession({ userId: 'victim', userAgent: 'browser', data: { note: 'x' } });
    const issued = [login.refreshToken];
    let latest = login;
    for (let i = 0; i < 20; i++) {
      f.clock.advance(60_000);
      latest = await f.kit.refresh(latest.refreshToken);
      issued.push(latest.refreshToken);
    }
    f.clock.advance(60_000); // past the grace window: a parent replay would now be reuse

    // Dump every table of every schema the kit can write to, cell by cell, in text and binary forms.
    const client = new pg.Client({ connectionString: f.db.url });
    await client.connect();
    const tables = await client.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
       where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`,
    );
    const cells: { text: string; bytes?: Buffer }[] = [];
    for (const { schema, name } of tables.rows) {
      const rows = await client.query(`select * from "${schema}"."${name}"`);
      for (const row of rows.rows) {
        for (const value of Object.values(row)) {
          if (value === null) continue;
          if (Buffer.isBuffer(value)) {
            cells.push({ text: value.toString('hex'), bytes: value });
            cells.push({ text: value.toString('base64url'), bytes: value });
            cells.push({ text: value.toString('base64'), bytes: value });
          } else {
            cells.push({ text: typeof value === 'object' ? JSON.stringify(value) : String(value) });
          }
        }
      }
    }
    await client.end();
    // Every table the kit's migrations create is dumped (sessions, keys, and any later ones).
    const names = tables.rows.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['kit_migrations', 'kit_sessions']));
    expect(names.every((name) => name.startsWith('kit_'))).toBe(true);
    expect(cells.length).toBeGreaterThan(10);

    // 1. Nothing issued appears in the dump, in any encoding.
    const codec = await RefreshTokenCodec.create(new TextEncoder().encode(TEST_SECRET));
    for (const token of issued) {
      const { secret } = await codec.decode(token);
      const forms = [token, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64url')];
      for (const cell of cells) for (const form of forms) expect(cell.text.includes(form)).toBe(false);
    }

    // 2. Every value, presented as a refresh token, is refused.
    let attempts = 0;
    for (const cell of cells) {
      for (const candidate of [cell.text, `kit_rt_${cell.text}`]) {
        await expect(f.kit.refresh(candidate)).rejects.toBeInstanceOf(KitError);
        attempts++;
      }
    }

    // 3. Even with KIT_SECRET, a token built around any 32-byte value of the dump is refused,
    //    whatever generation it claims, and never counts as a replay.
    const sessionId = login.session.id;
    const values32 = cells.filter((c) => c.bytes?.length === 32).map((c) => new Uint8Array(c.bytes!));
    expect(values32.length).toBeGreaterThan(0);
    for (const secret of values32) {
      for (const generation of [0, 19, 20, 21]) {
        const forged = await codec.encode(RefreshTokenCodec.parts(sessionId, generation, secret));
        await expect(f.kit.refresh(forged)).rejects.toMatchObject({ code: 'ERR_REFRESH_TOKEN_INVALID' });
        attempts++;
      }
    }
    expect(attempts).toBe(cells.length * 2 + values32.length * 4);

    // Nothing above changed the session: the newest token still refreshes.
    expect((await f.kit.sessions.get(sessionId))?.status).toBe('active');
    await expect(f.kit.refresh(latest.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('keeps one row per session whatever the number of rotations', async () => {
    const count = async () =>
      (
        await f.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from kit_sessions')
      )[0]!.n;
    const before = await count();
    let tokens = await f.kit.createSession({ userId: 'one-row' });
    for (let i = 0; i < 30; i++) tokens = await f.kit.refresh(tokens.refreshToken);
    expect((await count()) - before).toBe(1);
  });
});
