// zstd decompression with the decoder inside v86.wasm (Node 20 has no zstd),
// used the way v86's own zstd worker uses it: the module instantiated on its
// own with no emulator behind its imports.
import { readFile } from 'node:fs/promises';

interface ZstdExports {
  memory: WebAssembly.Memory;
  zstd_create_ctx(srcLen: number): number;
  zstd_get_src_ptr(ctx: number): number;
  zstd_read(ctx: number, len: number): number;
  zstd_read_free(ptr: number, len: number): void;
  zstd_free_ctx(ctx: number): void;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Decompresses a zstd frame of known decompressed `size` with v86.wasm's
 * decoder. Returns a fresh ArrayBuffer of exactly `size` bytes.
 */
export async function zstdDecompress(wasmPath: string, src: Uint8Array, size: number): Promise<ArrayBuffer> {
  let mod = modules.get(wasmPath);
  if (!mod) modules.set(wasmPath, (mod = readFile(wasmPath).then((b) => WebAssembly.compile(b))));
  const env = new Proxy({} as Record<string | symbol, unknown>, {
    get(target, name) {
      if (name === '__indirect_function_table') return (target[name] ??= new WebAssembly.Table({ element: 'anyfunc', initial: 1024 }));
      return () => {
        throw new Error(`zstd: v86.wasm called ${String(name)}`);
      };
    },
  });
  const instance = await WebAssembly.instantiate(await mod, { env: env as unknown as WebAssembly.ModuleImports });
  const x = instance.exports as unknown as ZstdExports;
  const ctx = x.zstd_create_ctx(src.length);
  try {
    new Uint8Array(x.memory.buffer).set(src, x.zstd_get_src_ptr(ctx));
    const ptr = x.zstd_read(ctx, size);
    const out = x.memory.buffer.slice(ptr, ptr + size);
    x.zstd_read_free(ptr, size);
    return out;
  } finally {
    x.zstd_free_ctx(ctx);
  }
}
