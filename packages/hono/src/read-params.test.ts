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

describe('readParams (bytes that are not UTF-8)', () => {
  const body = (json: boolean) =>
    new Uint8Array([
      ...new TextEncoder().encode(
        json ? '{"grant_type":"refresh_token","client_id":"' : 'grant_type=refresh_token&client_id=',
      ),
      0xff,
      ...new TextEncoder().encode(json ? '"}' : ''),
    ]);
  const request = (json: boolean, withLength: boolean) => {
    const bytes = body(json);
    return new Request('http://kit.test/token', {
      method: 'POST',
      headers: {
        'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
        ...(withLength ? { 'content-length': String(bytes.byteLength) } : {}),
      },
      body: withLength
        ? bytes
        : new ReadableStream({
            start(controller) {
              controller.enqueue(bytes);
              controller.close();
            },
          }),
      duplex: 'half',
    } as RequestInit);
  };

  it('refuses them whether the body has a Content-Length or streams without one', async () => {
    // Regression: with a Content-Length the body was read with `text()`, which turns invalid
    // UTF-8 into U+FFFD, so such a request was parsed and its refresh token used, while the same
    // bytes streamed were refused.
    for (const json of [false, true]) {
      for (const withLength of [true, false]) {
        expect(await readParams(request(json, withLength)), `json ${json}, length ${withLength}`).toEqual({
          error: 'invalid_request',
        });
      }
    }
  });
});

describe('readParams (size before media type)', () => {
  it('answers too_large to a body over the limit whatever its media type, declared or streamed', async () => {
    const big = 'x'.repeat(16 * 1024 + 1);
    for (const type of ['text/plain', 'application/xml', '']) {
      const declared = new Request('http://kit.test/token', {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: big,
      });
      expect(await readParams(declared), `declared, ${type || 'no type'}`).toEqual({ error: 'too_large' });
      const streamed = new Request('http://kit.test/token', {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(big));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(await readParams(streamed), `streamed, ${type || 'no type'}`).toEqual({ error: 'too_large' });
    }
    // Within the limit, a wrong media type stays a malformed request.
    const small = new Request('http://kit.test/token', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'grant_type=refresh_token',
    });
    expect(await readParams(small)).toEqual({ error: 'invalid_request' });
  });
});
