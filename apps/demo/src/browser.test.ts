import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthKit } from '@kit/core';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDemo, type TestDemo } from '../test/demo-server.ts';

// End to end in a real browser: Debian's Chromium driven by playwright-core. CI installs it
// (.ci/run); on a machine without it this file is skipped, loudly.
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`demo browser test SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

describe.skipIf(!hasChromium)('demo page in Chromium', () => {
  let t: TestDemo;
  let kit: AuthKit;
  let origin: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    // A 3-second access token, so automatic rotation happens within the test.
    t = await createTestDemo({ KIT_ACCESS_TTL: '3', KIT_REUSE_GRACE: '1' });
    kit = t.demo.kit;
    origin = await t.demo.listen();
    profile = mkdtempSync(join(tmpdir(), 'kit-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `demo-${name}.png`), fullPage: true });
  const nodes = () => page.locator('#timeline .node');
  /** What the metrics panel shows for a counter over its window. */
  const counter = async (name: string) =>
    Number(await page.textContent(`#metrics [data-counter=${name}] .value`));

  it('logs in, rotates automatically, revokes a session, and ends the session on a replayed token', async () => {
    await page.goto(origin);
    await page.click('#login');
    await page.waitForSelector('#claims:not(:empty)');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}') as { sub: string; sid: string };
    expect(claims.sub).toBe('user_alice');
    await expect.poll(() => page.textContent('#countdown')).toMatch(/s$/);

    // Automatic rotation: the timeline grows without any click.
    await expect.poll(() => nodes().count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#timeline .node.current').count()).toBe(1);
    await shot('rotation');

    // Another session of the same user appears in the list; revoke it from the page.
    await page.click('#another');
    await expect.poll(() => page.locator('#sessions tr').count()).toBe(2);
    const other = page.locator('#sessions tr', { hasNot: page.locator('.tag') });
    const otherId = await other.getAttribute('data-id');
    await other.locator('button.revoke').click();
    await expect.poll(() => page.locator('#sessions tr').count()).toBe(1);
    expect((await kit.sessions.get(otherId!))?.status).toBe('revoked');
    await shot('revoked');

    // Wait out the 1-second grace of the oldest token, then replay it.
    await expect.poll(() => nodes().count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    // The live panel (GET /metrics every 2 s) has counted the rotations, and no reuse yet.
    await expect.poll(() => counter('rotated'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await counter('reused')).toBe(0);
    await page.click('#replay');
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toContain('Session ended');
    expect(await page.locator('#timeline .node.replayed').count()).toBe(1);
    expect(await page.textContent('#log')).toContain('reuse detected');
    const session = await kit.sessions.get(claims.sid);
    expect(session?.status).toBe('revoked');
    expect(session?.revokedReason).toBe('refresh_token_reused');
    await expect.poll(() => page.textContent('#sessions')).toContain('ended');
    await shot('reuse-detected');

    // The panel counts the replay as one reuse detection, and the revocation it caused.
    await expect.poll(() => counter('reused'), { timeout: 10_000 }).toBe(1);
    expect(await page.getAttribute('#metrics [data-counter=reused]', 'class')).toContain('hot');
    expect(await counter('revoked')).toBeGreaterThanOrEqual(2);
    expect(await page.getAttribute('#metrics [data-counter=revoked]', 'title')).toContain(
      'refresh_token_reused: 1',
    );
    await page.locator('#metrics-card').scrollIntoViewIfNeeded();
    await shot('metrics');
  });

  it('binds the session to a non-extractable DPoP key, and refuses the refresh token without it', async () => {
    await page.goto(origin);
    const login = page.waitForResponse((r) => r.url() === `${origin}/login`);
    await page.click('#login');
    const loginResponse = await login;
    // The page sent a proof with its login, and the server bound the session to that key.
    expect(await loginResponse.request().headerValue('dpop')).toMatch(/^ey[\w-]+\.ey[\w-]+\.[\w-]+$/);
    expect(((await loginResponse.json()) as { token_type: string }).token_type).toBe('DPoP');
    await page.waitForSelector('#jkt');
    const jkt = (await page.textContent('#jkt')) ?? '';
    expect(jkt).toMatch(/^[\w-]{43}$/);
    await expect.poll(() => page.getAttribute('#me-status', 'data-status')).toBe('200');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}') as {
      sid: string;
      cnf?: { jkt: string };
    };
    expect(claims.cnf).toEqual({ jkt });
    expect((await kit.sessions.get(claims.sid))?.dpopJkt).toBe(jkt);
    // The private key is a CryptoKey in IndexedDB that nothing can export.
    const stored = await page.evaluate(
      () =>
        new Promise<{ extractable: boolean; exported: string }>((resolve, reject) => {
          const open = indexedDB.open('kit-demo', 1);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('keys').objectStore('keys').get('dpop');
            get.onerror = () => reject(get.error);
            get.onsuccess = () => {
              const key = (get.result as CryptoKeyPair).privateKey;
              crypto.subtle.exportKey('jwk', key).then(
                () => resolve({ extractable: key.extractable, exported: 'yes' }),
                (error: Error) => resolve({ extractable: key.extractable, exported: error.name }),
              );
            };
          };
        }),
    );
    expect(stored).toEqual({ extractable: false, exported: 'InvalidAccessError' });

    // A proof the page made for GET /me, checked by an independent implementation (jose).
    const meRequest = page.waitForRequest((r) => r.url() === `${origin}/me`);
    const sessionsRequest = page.waitForRequest((r) => r.url() === `${origin}/sessions`);
    const refreshed = page.waitForResponse((r) => r.url() === `${origin}/token`);
    await page.click('#refresh-now');
    const tokenResponse = await refreshed;
    expect(tokenResponse.status()).toBe(200);
    const { access_token: accessToken, token_type: tokenType } = (await tokenResponse.json()) as {
      access_token: string;
      token_type: string;
    };
    expect(tokenType).toBe('DPoP');
    expect(await tokenResponse.request().headerValue('dpop')).toBeTruthy();
    const me = await meRequest;
    const meHeaders = await me.allHeaders();
    expect(meHeaders.authorization).toBe(`DPoP ${accessToken}`);
    const { payload, protectedHeader } = await jwtVerify(meHeaders.dpop!, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.jwk).not.toHaveProperty('d');
    expect(await calculateJwkThumbprint(protectedHeader.jwk!)).toBe(jkt);
    expect(payload).toMatchObject({
      htm: 'GET',
      htu: `${origin}/me`,
      ath: createHash('sha256').update(accessToken).digest('base64url'),
    });
    expect(typeof payload.jti).toBe('string');
    // The session routes get the token as DPoP too, with a proof for their method and URL.
    const sessionsHeaders = await (await sessionsRequest).allHeaders();
    expect(sessionsHeaders.authorization).toMatch(/^DPoP /);
    const sessionsProof = await jwtVerify(sessionsHeaders.dpop!, EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(sessionsProof.payload).toMatchObject({ htm: 'GET', htu: `${origin}/sessions` });
    expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(30);

    // The thief: the current refresh token without the key, then with a key of their own.
    const rotations = await nodes().count();
    await page.click('#steal');
    await expect.poll(() => page.getAttribute('#steal-result', 'data-other-key')).toBe('400 invalid_grant');
    expect(await page.getAttribute('#steal-result', 'data-without-proof')).toBe('400 invalid_dpop_proof');
    expect(await page.textContent('#steal-result')).toContain('Stolen token refused');
    // Nothing was revoked: the page's own refresh with its key works, now and again.
    await expect.poll(() => nodes().count()).toBeGreaterThan(rotations);
    expect((await kit.sessions.get(claims.sid))?.status).toBe('active');
    const again = page.waitForResponse((r) => r.url() === `${origin}/token`);
    await page.click('#refresh-now');
    expect((await again).status()).toBe(200);
    await expect.poll(() => page.textContent('#status')).toContain('Session active');
    expect(t.logLines.some((line) => line.includes('"event":"dpop_key_mismatch"'))).toBe(true);
    await shot('dpop-steal');

    // A reload finds the same key in IndexedDB.
    await page.reload();
    await page.click('#login');
    await page.waitForSelector('#jkt');
    expect(await page.textContent('#jkt')).toBe(jkt);
  });

  it('keeps the refresh token in a Secure HttpOnly cookie that works on http://127.0.0.1', async () => {
    await page.goto(origin);
    await page.check('input[name=mode][value=cookie]');
    await page.click('#login');
    await page.waitForSelector('#claims:not(:empty)');
    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === '__Secure-kit_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/token' });
    // The page's script cannot see it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('kit_refresh');
    // Rotation through the cookie: the cookie's value changes and the page gets new access tokens.
    await expect.poll(() => nodes().count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const rotated = (await context.cookies()).find((c) => c.name === '__Secure-kit_refresh');
    expect(rotated?.value).not.toBe(cookie?.value);
    expect(await page.isDisabled('#replay')).toBe(true);
    // A cross-origin page cannot use the cookie: without the custom header the server refuses it.
    const status = await page.evaluate(async () => {
      const res = await fetch('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token',
      });
      return res.status;
    });
    expect(status).toBe(400);
    await shot('cookie-mode');
  });

  it('serves the API reference page', async () => {
    await page.goto(`${origin}/docs`);
    expect(await page.textContent('h1')).toBe('kit demo API');
    expect(await page.locator('section').count()).toBeGreaterThanOrEqual(9);
    await shot('api-reference');
  });
});
