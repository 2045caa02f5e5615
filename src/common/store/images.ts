// Image records: name → the host's record of the image (opaque bytes here:
// the runtime's ImageRecord as JSON). Stored one value per name.
import type { Blobs } from './blobs.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Names become hex so any reference is a safe store key. */
function keyOf(name: string): string {
  let hex = '';
  for (const b of enc.encode(name)) hex += b.toString(16).padStart(2, '0');
  return `images/${hex}`;
}

function nameOf(key: string): string | undefined {
  const hex = key.slice('images/'.length);
  if (!/^([0-9a-f]{2})+$/.test(hex)) return undefined;
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return dec.decode(b);
}

export class ImageRecords {
  constructor(private readonly blobs: Blobs) {}

  put(name: string, record: Uint8Array): Promise<void> {
    return this.blobs.put(keyOf(name), record);
  }

  remove(name: string): Promise<void> {
    return this.blobs.delete(keyOf(name));
  }

  async list(): Promise<Array<{ name: string; record: Uint8Array }>> {
    const out: Array<{ name: string; record: Uint8Array }> = [];
    for (const k of await this.blobs.list('images/')) {
      const name = nameOf(k);
      const record = name === undefined ? undefined : await this.blobs.get(k);
      if (name !== undefined && record) out.push({ name, record });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
