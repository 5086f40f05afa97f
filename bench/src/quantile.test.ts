import { describe, expect, it } from 'vitest';
import { quantile } from './quantile.ts';

describe('quantile', () => {
  it('takes the sample at rank floor(q·n), never past the last, and NaN of nothing', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(ten, 0)).toBe(1);
    expect(quantile(ten, 0.5)).toBe(6);
    expect(quantile(ten, 0.9)).toBe(10);
    expect(quantile(ten, 1)).toBe(10);
    expect(quantile(Float64Array.from([0.5, 1.5, 2.5]), 0.5)).toBe(1.5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
