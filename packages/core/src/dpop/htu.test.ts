import { describe, expect, it } from 'vitest';
import { normalizeHttpUrl } from './htu.ts';

describe('normalizeHttpUrl (the htu comparison of RFC 9449 §4.3)', () => {
  it('drops query and fragment, and normalises scheme, host, port, path and percent-encoding', () => {
    const same: [string, string][] = [
      ['https://auth.example.com/token?x=1#f', 'https://auth.example.com/token'],
      ['HTTPS://Auth.Example.COM/token', 'https://auth.example.com/token'],
      ['https://auth.example.com:443/token', 'https://auth.example.com/token'],
      ['http://auth.example.com:80/token', 'http://auth.example.com/token'],
      ['https://auth.example.com', 'https://auth.example.com/'],
      ['https://auth.example.com/a/../token', 'https://auth.example.com/token'],
      ['https://auth.example.com/./token', 'https://auth.example.com/token'],
      ['https://auth.example.com/%7Euser/%2fx', 'https://auth.example.com/~user/%2Fx'],
      ['https://auth.example.com/%41%62', 'https://auth.example.com/Ab'],
    ];
    for (const [a, b] of same) {
      expect(normalizeHttpUrl(a), a).toBe(normalizeHttpUrl(b));
      expect(normalizeHttpUrl(a), a).toBeDefined();
    }
  });

  it('keeps apart what differs: scheme, host, port, path and path case', () => {
    const base = normalizeHttpUrl('https://auth.example.com/token');
    for (const other of [
      'http://auth.example.com/token',
      'https://auth.example.com:8443/token',
      'https://evil.example.com/token',
      'https://auth.example.com/Token',
      'https://auth.example.com/token/',
      'https://auth.example.com/token2',
      'https://auth.example.com/%2Ftoken',
    ]) {
      expect(normalizeHttpUrl(other), other).not.toBe(base);
    }
  });

  it('refuses what is not an absolute http(s) URL, and URLs with credentials', () => {
    for (const value of [
      '',
      '/token',
      'auth.example.com/token',
      'ftp://auth.example.com/token',
      'javascript:alert(1)',
      'https://user:pass@auth.example.com/token',
      'https://user@auth.example.com/token',
      'https://',
    ]) {
      expect(normalizeHttpUrl(value), value).toBeUndefined();
    }
    expect(normalizeHttpUrl(new URL('https://auth.example.com/token?q'))).toBe(
      'https://auth.example.com/token',
    );
  });
});
