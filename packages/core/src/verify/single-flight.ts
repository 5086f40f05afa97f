/**
 * One fetch at a time, shared by every caller that needs it while it runs. A shared fetch older
 * than `staleMs` is abandoned and a new one started: in Workers, I/O started by a request that was
 * cancelled (its client gone) never settles, and every later caller would wait on it forever.
 *
 * @internal
 */
export class SingleFlight {
  readonly #clock: () => number;
  readonly #staleMs: number;
  #inflight: Promise<void> | undefined;
  #since = 0;

  constructor(clock: () => number, staleMs: number) {
    this.#clock = clock;
    this.#staleMs = staleMs;
  }

  /** Whether a fetch is under way. */
  get busy(): boolean {
    return this.#inflight !== undefined;
  }

  /** Runs `load`, or joins the one under way. */
  run(load: () => Promise<void>): Promise<void> {
    const now = this.#clock();
    if (this.#inflight === undefined || now - this.#since > this.#staleMs) {
      const inflight: Promise<void> = load().finally(() => {
        if (this.#inflight === inflight) this.#inflight = undefined;
      });
      this.#inflight = inflight;
      this.#since = now;
    }
    return this.#inflight;
  }
}
