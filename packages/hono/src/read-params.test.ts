import { describe, expect, it } from 'vitest';
import { readParams } from './read-params.ts';

const json = (body: string) =>
  new Request('http://kit.test/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

describe('readParams (JSON)', () => {
  it('reads a flat object of strings, escapes included', async () => {
    expect(await readParams(json('{"grant_type":"refresh_token","refresh_token":"a\\"b\\\\"}'))).toEqual({
      params: { grant_type: 'refresh_token', refresh_token: 'a"b\\' },
    });
    expect(await readParams(json(' { } '))).toEqual({ params: {} });
  });

  it('refuses duplicated keys, however they are spelled', async () => {
    for (const body of [
      '{"refresh_token":"garbage","refresh_token":"real"}',
      '{"refresh_token":"garbage","refresh\\u005ftoken":"real"}',
      '{"a":{"x":"y"},"a":"z"}',
      '{"a":1,"a":"x"}',
      '{"a":["x"],"a":"y"}',
    ]) {
      expect(await readParams(json(body))).toEqual({ error: 'invalid_request' });
    }
  });

  it('refuses values that are not strings', async () => {
    for (const body of ['{"a":1}', '{"a":null}', '{"a":{"b":"c"}}', '["a"]', '"a"']) {
      expect(await readParams(json(body))).toEqual({ error: 'invalid_request' });
    }
  });
});
