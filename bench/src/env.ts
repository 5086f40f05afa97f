/**
 * A positive number from the environment variable `name`, or `fallback` when it is unset or
 * empty. Anything else (zero, negative, not a number) stops the run with an error naming it.
 */
export function positiveEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number.`);
  return value;
}
