import { describe, expect, it } from 'vitest';
import { Attrs, AttrsError, encodeAttrs } from '../../src/common/protocol/attrs.js';

describe('attrs', () => {
  it('round-trips strings, bytes and repeated keys in order', () => {
    const bin = new Uint8Array([0, 255, 10, 13]);
    const a = Attrs.decode(encodeAttrs([['op', 'run'], ['arg', 'echo'], ['arg', 'hi there'], ['blob', bin], ['empty', '']]));
    expect(a.get('op')).toBe('run');
    expect(a.all('arg')).toEqual(['echo', 'hi there']);
    expect(a.bytes('blob')).toEqual(bin);
    expect(a.get('empty')).toBe('');
    expect(a.get('missing')).toBeUndefined();
  });

  it('is byte-exact with the layout in PROTOCOL.md', () => {
    expect(Array.from(encodeAttrs([['op', 'ab']]))).toEqual([2, 0x6f, 0x70, 2, 0, 0, 0, 0x61, 0x62]);
  });

  it('parses integers strictly', () => {
    const a = Attrs.decode(encodeAttrs([['n', '42'], ['neg', '-3'], ['bad', '4x']]));
    expect(a.int('n')).toBe(42);
    expect(a.int('neg')).toBe(-3);
    expect(a.int('bad')).toBeUndefined();
  });

  it('rejects a field that runs past the end', () => {
    const wire = encodeAttrs([['key', 'value']]);
    expect(() => Attrs.decode(wire.subarray(0, wire.length - 1))).toThrow(AttrsError);
    expect(() => Attrs.decode(new Uint8Array([0]))).toThrow(AttrsError);
    expect(() => Attrs.decode(new Uint8Array([5, 0x61]))).toThrow(AttrsError);
  });

  it('refuses keys it cannot encode', () => {
    expect(() => encodeAttrs([['', 'x']])).toThrow(RangeError);
    expect(() => encodeAttrs([['k'.repeat(256), 'x']])).toThrow(RangeError);
  });
});
