// Playground (first cut): boots the VM in a worker and attaches an xterm.js
// terminal to the VM's own shell on hvc0.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { startVm } from './vm-client.js';

const status = document.getElementById('status')!;
const kernelLog = document.getElementById('kernel-log')!;
const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, theme: { background: '#101418' } });
const fit = new FitAddon();
term.loadAddon(fit);
term.open(document.getElementById('terminal')!);
fit.fit();

const dec = new TextDecoder();
const enc = new TextEncoder();

try {
  const { vm } = await startVm(
    {
      console: (port, data) => {
        if (port === 0) term.write(data);
      },
      serial: (data) => {
        kernelLog.textContent += dec.decode(data);
      },
    },
    (p) => {
      status.textContent =
        p.stage === 'download' ? `downloading guest ${(p.loaded / 1e6).toFixed(1)} / ${(p.total / 1e6).toFixed(1)} MB`
        : p.stage === 'boot' ? 'booting the VM…'
        : `ready — booted in ${(p.bootMs / 1000).toFixed(2)} s`;
    },
  );
  term.onData((d) => void vm.consoleWrite(0, enc.encode(d)));
  const resize = () => {
    fit.fit();
    void vm.resizeConsole(0, term.cols, term.rows);
  };
  window.addEventListener('resize', resize);
  resize();
  term.focus();
  void vm.consoleWrite(0, enc.encode('\n'));
} catch (e) {
  status.classList.add('error');
  status.textContent = `Could not start the VM: ${(e as Error).message}. Reload the page to try again.`;
}
