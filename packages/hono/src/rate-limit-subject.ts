/**
 * The part of an address a limit applies to: an IPv4 address as is, an IPv6 address reduced to
 * its /64 network (one subscriber usually holds a whole /64, so per-address limits on full IPv6
 * addresses are trivially evaded), an IPv4-mapped IPv6 address as its IPv4 form.
 *
 * @example
 * ```ts
 * import { rateLimitSubject } from '@kit/hono';
 *
 * rateLimitSubject('2001:db8::1'); // '2001:db8:0:0::/64'
 * ```
 */
export function rateLimitSubject(address: string): string {
  const value = address.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(value);
  if (mapped) return mapped[1]!;
  if (!value.includes(':')) return value.slice(0, 64);
  const [head = '', tail] = value.split('::', 2) as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  if (groups.length < 4 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g) && !g.includes('.'))) {
    return value.slice(0, 64); // not an address we understand: limit it as an opaque string
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
