// Files on the user's side of a browser: `docker save -o x.tar` (and
// `export -o`) downloads x.tar; the files panel's Upload adds files from the
// user's computer to the project (`docker load -i` then reads one there).
import type { CliIO } from '../cli/context.js';

const basename = (p: string) => p.split(/[\\/]/).pop() || 'download';

export const browserFiles: Required<Pick<CliIO, 'writeFile'>> = {
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
};
