import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/common/protocol/crc32.js';
import {
  encodeFrame,
  encodeMessage,
  FLAG_MORE,
  FrameDecoder,
  FrameType,
  HEADER_SIZE,
  MAX_FRAME_PAYLOAD,
  MAX_MESSAGE,
  MessageAssembler,
  type Frame,
} from '../../src/common/protocol/frame.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const frame = (payload: Uint8Array, over: Partial<Frame> = {}): Frame => ({ type: FrameType.REQUEST, flags: 0, stream: 0, id: 7, payload, ...over });

function random(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(bytes('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('frame codec', () => {
  it('round-trips header fields and payload', () => {
    const f = frame(bytes('hello'), { type: FrameType.STREAM, flags: FLAG_MORE, stream: 2, id: 0xfffffffe });
    const wire = encodeFrame(f);
    expect(wire.length).toBe(HEADER_SIZE + 5);
    expect(Array.from(wire.subarray(0, 4))).toEqual([0x44, 0x59, 0x4b, 0x31]);
    const out = new FrameDecoder().push(wire);
    expect(out).toEqual([f]);
  });

  it('decodes a frame fed one byte at a time', () => {
    const f = frame(random(1000));
    const wire = encodeFrame(f);
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < wire.length; i++) got.push(...d.push(wire.subarray(i, i + 1)));
    expect(got).toEqual([f]);
    expect(d.stats.skipped).toBe(0);
  });

  it('skips garbage before, between and after frames and counts it', () => {
    const a = frame(bytes('a'), { id: 1 });
    const b = frame(bytes('b'), { id: 2 });
    const garbage = bytes('xxDYK'); // includes a partial magic
    const wire = new Uint8Array([...garbage, ...encodeFrame(a), ...bytes('noise'), ...encodeFrame(b), ...bytes('DY')]);
    const d = new FrameDecoder();
    expect(d.push(wire)).toEqual([a, b]);
    expect(d.stats.skipped).toBe(garbage.length + 5);
    expect(d.pending).toBe(2); // "DY" may still start a magic
  });

  it('rejects a bad header checksum and resyncs to the next frame', () => {
    const bad = encodeFrame(frame(bytes('bad')));
    bad[8]! ^= 0xff; // corrupt the id: header crc fails
    const good = frame(bytes('good'));
    const d = new FrameDecoder();
    expect(d.push(new Uint8Array([...bad, ...encodeFrame(good)]))).toEqual([good]);
    expect(d.stats.badHeaders).toBe(1);
  });

  it('rejects an oversized length at once, without waiting for the payload', () => {
    const wire = encodeFrame(frame(bytes('x')));
    const v = new DataView(wire.buffer);
    v.setUint32(12, MAX_FRAME_PAYLOAD + 1, true);
    v.setUint32(20, crc32(wire, 0, 20), true); // header itself is consistent
    const good = frame(bytes('next'));
    const d = new FrameDecoder();
    expect(d.push(new Uint8Array([...wire.subarray(0, HEADER_SIZE), ...encodeFrame(good)]))).toEqual([good]);
    expect(d.stats.badHeaders).toBe(1);
  });

  it('finds a good frame that starts inside a frame with a bad payload', () => {
    const inner = frame(bytes('inner'), { id: 9 });
    const innerWire = encodeFrame(inner);
    const outer = encodeFrame(frame(new Uint8Array([...bytes('..'), ...innerWire, ...bytes('..')]), { id: 3 }));
    outer[outer.length - 1]! ^= 1; // payload crc of the outer frame fails
    const d = new FrameDecoder();
    expect(d.push(outer)).toEqual([inner]);
    expect(d.stats.badPayloads).toBe(1);
  });

  it('does not deliver a cut frame until the rest arrives', () => {
    const f = frame(random(5000));
    const wire = encodeFrame(f);
    const d = new FrameDecoder();
    expect(d.push(wire.subarray(0, 3000))).toEqual([]);
    expect(d.push(wire.subarray(3000))).toEqual([f]);
  });

  it('refuses to encode payloads over the cap', () => {
    expect(() => encodeFrame(frame(new Uint8Array(MAX_FRAME_PAYLOAD + 1)))).toThrow(RangeError);
  });
});

describe('message assembly', () => {
  it('splits a large message into MORE frames and joins it back, interleaved with another id', () => {
    const big = random(3 * MAX_FRAME_PAYLOAD + 17, 5);
    const small = random(100, 6);
    const a = encodeMessage(FrameType.RESPONSE, 1, big);
    const b = encodeMessage(FrameType.RESPONSE, 2, small);
    expect(a.length).toBe(4);
    const d = new FrameDecoder();
    const asm = new MessageAssembler();
    const order = [a[0]!, a[1]!, b[0]!, a[2]!, a[3]!];
    const msgs = order.flatMap((w) => d.push(w)).map((f) => asm.push(f)).filter((m) => m !== undefined);
    expect(msgs.map((m) => m.id)).toEqual([2, 1]);
    expect(msgs[1]!.payload).toEqual(big);
    expect(msgs[0]!.payload).toEqual(small);
  });

  it('keeps streams of one id apart', () => {
    const asm = new MessageAssembler();
    const out = [
      asm.push({ type: FrameType.STREAM, flags: FLAG_MORE, stream: 1, id: 4, payload: bytes('o1') }),
      asm.push({ type: FrameType.STREAM, flags: 0, stream: 2, id: 4, payload: bytes('e') }),
      asm.push({ type: FrameType.STREAM, flags: 0, stream: 1, id: 4, payload: bytes('o2') }),
    ];
    expect(out[0]).toBeUndefined();
    expect(new TextDecoder().decode(out[1]!.payload)).toBe('e');
    expect(new TextDecoder().decode(out[2]!.payload)).toBe('o1o2');
  });

  it('drops a message past MAX_MESSAGE and reports it once', () => {
    const reported: number[] = [];
    const asm = new MessageAssembler((id) => reported.push(id));
    const chunk = new Uint8Array(MAX_FRAME_PAYLOAD);
    let out;
    for (let sent = 0; sent <= MAX_MESSAGE; sent += chunk.length) out = asm.push(frame(chunk, { id: 5, flags: FLAG_MORE }));
    out = asm.push(frame(chunk, { id: 5 }));
    expect(out).toBeUndefined();
    expect(reported).toEqual([5]);
    // the id is usable again afterwards
    expect(asm.push(frame(bytes('ok'), { id: 5 }))?.payload).toEqual(bytes('ok'));
  });
});
