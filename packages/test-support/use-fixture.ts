import { afterAll, beforeAll } from 'vitest';

/**
 * A fixture for the describe block (or file) that calls this: made by `create` in a `beforeAll`
 * of that block, closed in an `afterAll`. The object returned stands for it: each member read on
 * it is the fixture's, so tests and later hooks use it as they would the fixture itself (`close`
 * excepted, which is the block's). Read before the block's `beforeAll` has run, it throws.
 */
export function useFixture<T extends { close(): Promise<void> }>(create: () => Promise<T>): Omit<T, 'close'> {
  let fixture: T | undefined;
  beforeAll(async () => {
    fixture = await create();
  });
  afterAll(async () => {
    await fixture?.close();
  });
  return new Proxy({} as Omit<T, 'close'>, {
    get(_target, name) {
      if (fixture === undefined) {
        throw new Error(
          'The fixture is made in the beforeAll of its block: read it in a test or a later hook.',
        );
      }
      return name === 'close' ? undefined : Reflect.get(fixture, name);
    },
  });
}
