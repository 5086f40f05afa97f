import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthKit } from '@kit/core';
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
