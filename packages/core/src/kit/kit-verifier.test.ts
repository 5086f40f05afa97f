import { createMemoryKitFixture, expectKitError } from '@kit/test-support';
import { createTestMetrics } from '@kit/test-support/telemetry';
import { describe, expect, it } from 'vitest';

describe('kit.verifyAccessToken telemetry', () => {
  it("counts each verification once in the kit's kit.verifications, by outcome", async () => {
    const metrics = createTestMetrics();
    const f = await createMemoryKitFixture({ telemetry: metrics.telemetry });
    try {
      const { accessToken } = await f.kit.createSession({ userId: 'u1' });
      await f.kit.verifyAccessToken(accessToken);
      await f.kit.verifyAccessToken(accessToken);
      const [h, p, s] = accessToken.split('.') as [string, string, string];
      const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
      await expectKitError(f.kit.verifyAccessToken(flipped), 'ERR_JWT_INVALID');
      f.clock.advance((f.kit.config.accessTokenTtl + 60) * 1000);
      await expectKitError(f.kit.verifyAccessToken(accessToken), 'ERR_JWT_EXPIRED');
      expect(await metrics.outcomes('kit.verifications')).toEqual({
        valid: 2,
        ERR_JWT_INVALID: 1,
        ERR_JWT_EXPIRED: 1,
      });
      // Under the kit's scope only: the verifier the kit builds inside does not count again.
      const scopes = (await metrics.points())
        .filter((point) => point.name === 'kit.verifications')
        .map((point) => point.scope);
      expect(new Set(scopes)).toEqual(new Set(['@kit/core']));
    } finally {
      await f.close();
    }
  });
});
