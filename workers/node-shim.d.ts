// The two Node facts the worker entry needs, declared here so the worker
// realm compiles without Node's (or the DOM's) types.
declare const process: { versions?: { node?: string } } | undefined;

declare module 'node:worker_threads' {
  export const parentPort: import('comlink/dist/esm/node-adapter.mjs').NodeEndpointLike | null;
}

// What workers/store-dir.ts uses of node:fs/promises (loaded only under Node).
declare module 'node:fs/promises' {
  export interface FileHandle {
    readonly fd: number;
    read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
    write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
    stat(): Promise<Stats>;
    close(): Promise<void>;
  }
  export interface Stats {
    size: number;
    isFile(): boolean;
  }
  export interface Dirent {
    name: string;
    isFile(): boolean;
    isDirectory(): boolean;
  }
  export function open(path: string, flags: 'r' | 'wx'): Promise<FileHandle>;
  export function readFile(path: string): Promise<Uint8Array>;
  export function rename(from: string, to: string): Promise<void>;
  export function unlink(path: string): Promise<void>;
  export function mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  export function readdir(path: string, options: { withFileTypes: true }): Promise<Dirent[]>;
}

// ... and of node:fs: small reads of an open file without a thread-pool round trip.
declare module 'node:fs' {
  export function readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
}

// What the worker's layer inflater uses of node:zlib (loaded only under Node,
// where it inflates ~2x faster than DecompressionStream's web stream).
declare module 'node:zlib' {
  export function gunzip(data: Uint8Array, cb: (err: Error | null, out: Uint8Array) => void): void;
}

// What workers/dial-socket.ts uses of node:net (loaded only under Node).
declare module 'node:net' {
  export interface Socket {
    readonly writableLength: number;
    write(data: Uint8Array): boolean;
    end(): void;
    destroy(error?: Error): void;
    pause(): void;
    resume(): void;
    setTimeout(ms: number, cb?: () => void): void;
    once(event: 'connect', cb: () => void): void;
    on(event: 'error', cb: (e: Error & { code?: string }) => void): void;
    on(event: 'data', cb: (b: Uint8Array) => void): void;
    on(event: 'end' | 'drain', cb: () => void): void;
    on(event: 'close', cb: (hadError: boolean) => void): void;
  }
  export function connect(o: { host: string; port: number; allowHalfOpen?: boolean; noDelay?: boolean }): Socket;
}

// What workers/dial-socket.ts uses of node:dns (loaded only under Node).
declare module 'node:dns/promises' {
  export function lookup(name: string, o: { all: true; family: 4 }): Promise<Array<{ address: string }>>;
}
