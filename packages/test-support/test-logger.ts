import type { KitLogger } from '@kit/core';

/** One line a {@link createTestLogger} logger received. */
export interface TestLogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/**
 * A {@link KitLogger} that keeps every line, for tests of what is logged.
 *
 * @example
 * ```ts
 * const { logger, lines } = createTestLogger();
 * createVerifier({ ...options, logger });
 * expect(lines).toEqual([]);
 * ```
 */
export function createTestLogger(): { logger: KitLogger; lines: TestLogLine[] } {
  const lines: TestLogLine[] = [];
  const keep = (level: TestLogLine['level']) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { logger: { info: keep('info'), warn: keep('warn'), error: keep('error') }, lines };
}
