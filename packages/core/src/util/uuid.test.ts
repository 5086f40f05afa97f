import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSessionId, readSessionIdBytes, writeSessionIdBytes } from './uuid.ts';

describe('session ids', () => {
  it('accepts lowercase UUIDs only', () => {
    const id = randomUUID();
    expect(isSessionId(id)).toBe(true);
    for (const bad of [id.toUpperCase(), id.replaceAll('-', ''), `${id} `, '', 42, null, undefined]) {
      expect(isSessionId(bad), String(bad)).toBe(false);
    }
  });

  it('writes the 16 bytes of an id and reads them back at an offset', () => {
    const id = '00112233-4455-6677-8899-aabbccddeeff';
    const bytes = new Uint8Array(20);
    writeSessionIdBytes(id, bytes, 3);
    expect([...bytes.subarray(3, 19)]).toEqual([
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]);
    expect(bytes[2]).toBe(0);
    expect(bytes[19]).toBe(0);
    expect(readSessionIdBytes(bytes, 3)).toBe(id);
    for (let i = 0; i < 100; i++) {
      const random = randomUUID();
      writeSessionIdBytes(random, bytes, 0);
      expect(readSessionIdBytes(bytes, 0)).toBe(random);
    }
  });
});
