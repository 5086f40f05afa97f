/** A frozen, manually advanced clock. */
export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock that stands at `start` (ms) until the test moves it. */
export function createFakeClock(start = Date.UTC(2030, 0, 1, 12)): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}
