/**
 * Whether two strings are equal, in time that depends only on their lengths (which are not secret
 * here: every caller compares base64url digests or server nonces). Pure JavaScript, so it runs in
 * every runtime.
 *
 * @internal
 */
export function equalInConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
