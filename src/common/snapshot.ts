// The guest state snapshot (images/dist/state.bin.zst, made by
// `npm run images`): a v86 save_state() of the booted guest with the daemon
// idle right after its HELLO. A host may restore it instead of booting only
// when its stamp matches what the host would boot: the same BIOS, kernel,
// initramfs, command line, memory size and v86.
import type { HelloInfo } from './channel.js';
import { sha256Hex, type Manifest } from './manifest.js';

/** manifest.state */
export interface StateEntry {
  file: string;
  /** of the file (zstd-compressed) */
  size: number;
  sha256: string;
  /** of the state v86 saved, before compression */
  rawSize: number;
  /** stateStamp() of the artifacts the state was saved from */
  stamp: string;
  /** the HELLO the daemon sent before the state was saved (it will not send another) */
  hello: HelloInfo;
}

/**
 * VGA memory the worker gives v86 (its default is 8 MiB). The guest is
 * headless and never touches it, but every saved state carries all of it and
 * every restore copies it: 1 MiB keeps that small. Part of the machine a
 * state was saved from, hence of the stamp.
 */
export const VGA_MEMORY_BYTES = 1 << 20;

/** What a stamp covers, one `key=value` line each (the text stateStamp hashes). */
export function stateStampText(m: Pick<Manifest, 'artifacts' | 'cmdline' | 'memoryMB'>, v86Version: string): string {
  return [
    `bios=${m.artifacts.bios.sha256}`,
    `kernel=${m.artifacts.kernel.sha256}`,
    `initrd=${m.artifacts.initrd.sha256}`,
    `cmdline=${m.cmdline}`,
    `memoryMB=${m.memoryMB}`,
    `vgaMemory=${VGA_MEMORY_BYTES}`,
    `v86=${v86Version}`,
    '',
  ].join('\n');
}

/**
 * sha256 (hex) of stateStampText: the state restores correctly only into the
 * VM these describe. `v86Version` is the version of the v86 that will
 * restore it (package.json's, e.g. `0.5.462+g5f9a90f`).
 */
export function stateStamp(m: Pick<Manifest, 'artifacts' | 'cmdline' | 'memoryMB'>, v86Version: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(stateStampText(m, v86Version)));
}

/**
 * Why the manifest's state cannot be restored by this v86 (undefined when it
 * can): none built, a malformed manifest entry, or its stamp is not that of
 * the artifacts.
 */
export async function stateMismatch(m: Manifest, v86Version: string): Promise<string | undefined> {
  if (!m.state) return 'no snapshot';
  try {
    checkStateEntry(m.state);
  } catch (e) {
    return `manifest.json: ${(e as Error).message}`;
  }
  if (m.state.stamp !== (await stateStamp(m, v86Version))) return 'state stamp does not match the artifacts';
  return undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Checks the shape of manifest.state; throws a message naming what is wrong. */
export function checkStateEntry(s: unknown): asserts s is StateEntry {
  const o = s as Record<string, unknown> | null;
  const bad = (what: string): never => {
    throw new Error(`state: ${what}`);
  };
  if (typeof o !== 'object' || o === null) bad('not an object');
  if (typeof o!.file !== 'string' || !/^[\w.-]+$/.test(o!.file)) bad('bad file name');
  if (!Number.isSafeInteger(o!.size) || (o!.size as number) <= 0) bad('bad size');
  if (!Number.isSafeInteger(o!.rawSize) || (o!.rawSize as number) <= 0) bad('bad rawSize');
  if (typeof o!.sha256 !== 'string' || !HEX64.test(o!.sha256)) bad('bad sha256');
  if (typeof o!.stamp !== 'string' || !HEX64.test(o!.stamp)) bad('bad stamp');
  const h = o!.hello as Record<string, unknown> | undefined;
  if (typeof h !== 'object' || h === null) bad('missing hello');
  for (const k of ['version', 'kernel', 'machine'] as const) if (typeof h![k] !== 'string') bad(`hello.${k} missing`);
  if (!Number.isSafeInteger(h!.memKb)) bad('hello.memKb missing');
}
