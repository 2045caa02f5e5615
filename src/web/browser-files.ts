// Files on the user's side of a browser: `docker save -o x.tar` downloads
// x.tar; `docker load -i x.tar` and `--env-file` ask for a file to open.
import type { CliIO } from '../cli/context.js';

const basename = (p: string) => p.split(/[\\/]/).pop() || 'download';

export const browserFiles: Required<Pick<CliIO, 'readFile' | 'writeFile'>> = {
  async writeFile(path, data) {
    const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: 'application/x-tar' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = basename(path);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  },
  readFile(path) {
    return new Promise((resolve, reject) => {
      const input = document.createElement('input');
      input.type = 'file';
      input.addEventListener('change', () => {
        const f = input.files?.[0];
        if (!f) return reject(new Error(`open ${path}: no file chosen`));
        f.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject);
      });
      input.addEventListener('cancel', () => reject(new Error(`open ${path}: no file chosen`)));
      input.click();
    });
  },
};
