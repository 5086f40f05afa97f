import type { TelemetryAttributes } from './open-telemetry-api.ts';
import type { Telemetry } from './telemetry.ts';

/**
 * A counter by one attribute whose counts the kit keeps itself, as plain numbers, and the SDK reads
 * when it collects (an OpenTelemetry observable counter): counting costs no SDK call, so it suits
 * the hot path. Every kit on one meter adds to the same counts, as they would to one counter.
 * (Kept out of telemetry.ts, which the edge verifier's bundle carries and which does not need it.)
 * @internal
 */
export interface TelemetryTally {
  /** Adds one to the series whose attribute has `value`. Values must come from a bounded set. */
  add(value: string): void;
}

const NOOP_TALLY: TelemetryTally = Object.freeze({ add() {} });

/** The counts behind a tally: one per attribute value, and the attributes they are reported with. */
interface TallyCounts {
  readonly attribute: string;
  readonly counts: Map<string, number>;
  readonly attributes: Map<string, TelemetryAttributes>;
}

// One set of counts per meter and instrument name, shared by every kit on that meter: an
// observable counter reports one value per series, so two kits each reporting their own count
// would overwrite each other where one counter would have added them up.
const tallies = new WeakMap<object, Map<string, TallyCounts>>();

/**
 * A counter named `name` whose only attribute is `attribute`, kept by the kit (see
 * {@link TelemetryTally}); on a meter without observable counters, or one whose SDK fails to make
 * one, a plain counter.
 * @internal
 */
export function createTally(
  telemetry: Telemetry,
  name: string,
  description: string,
  attribute: string,
): TelemetryTally {
  if (!telemetry.enabled) return NOOP_TALLY;
  const plain = (): TelemetryTally => {
    const counter = telemetry.counter(name, description);
    const attributes = new Map<string, TelemetryAttributes>();
    return {
      add(value) {
        let set = attributes.get(value);
        if (set === undefined) {
          set = Object.freeze({ [attribute]: value });
          attributes.set(value, set);
        }
        counter.add(1, set);
      },
    };
  };
  const { meter } = telemetry;
  if (meter === undefined || typeof meter.createObservableCounter !== 'function') return plain();
  let byName = tallies.get(meter);
  if (byName === undefined) {
    byName = new Map();
    tallies.set(meter, byName);
  }
  let kept = byName.get(name);
  if (kept === undefined) {
    const made: TallyCounts = { attribute, counts: new Map(), attributes: new Map() };
    try {
      meter.createObservableCounter(name, { description }).addCallback((result) => {
        for (const [value, count] of made.counts) result.observe(count, made.attributes.get(value));
      });
    } catch {
      return plain(); // the SDK failed: count through it as before
    }
    kept = made;
    byName.set(name, kept);
  } else if (kept.attribute !== attribute) {
    return plain(); // not the kit's own instrument: leave it alone
  }
  const { counts, attributes } = kept;
  return {
    add(value) {
      const count = counts.get(value);
      if (count !== undefined) {
        counts.set(value, count + 1);
        return;
      }
      attributes.set(value, Object.freeze({ [attribute]: value }));
      counts.set(value, 1);
    },
  };
}
