// The playground page: a docker prompt in xterm.js, a side panel with the
// files of a small project (the prompt's current directory), images and
// containers (and live "containers vs. VMs" figures), and a second tab with
// a shell on the VM itself.
import '@xterm/xterm/css/xterm.css';
import { BootStatus, coldBootNote, errorBox, explain, progressText, readyText } from './boot-status.js';
import { browserFiles } from './browser-files.js';
import { installDebugHook } from './debug-hook.js';
import { DockerShell } from './docker-shell.js';
import { h } from './dom.js';
import { Figures } from './figures.js';
import { FilesPanel } from './files-panel.js';
import { lostContainersNote, wrapWords } from './lost-containers.js';
import { timeRuns } from './run-timing.js';
import { startSession } from './session.js';
import { SidePanel } from './side-panel.js';
import { bundledRepositories, pullableWithSizes } from './web-registry.js';
import { manifest, timeColdBoot } from './vm-client.js';
import { VmConsole } from './vm-console.js';
import { openTerminal } from './xterm-view.js';
import { Project, projectIO } from './project.js';
import { idbProjectStore } from './project-idb.js';
import { starterProject } from './starter-project.js';

const $ = (id: string) => document.getElementById(id)!;
const HISTORY_KEY = 'dockyard.history';

function loadHistory(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function saveHistory(lines: string[]): void {
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(lines.slice(-200)));
  } catch {
    // storage disabled: history lasts for this page only
  }
}

const view = openTerminal($('terminal'));
const vmConsole = new VmConsole($('vm-terminal'));
const hook = installDebugHook({ docker: () => view.text(), vm: () => vmConsole.text() }, () => ({ cols: view.term.cols, rows: view.term.rows }));
let panel: SidePanel | undefined;

// the project: kept in origin storage; when that fails (storage disabled) or hangs, for this page only
let keptNote = '';
const stalled = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the origin storage did not answer')), 5000));
const project = await Promise.race([Project.open(idbProjectStore(), starterProject()), stalled]).catch(async (e: unknown) => {
  keptNote = `Files are kept for this page only: ${(e as Error).message}`;
  return Project.open(undefined, starterProject());
});
const filesPanel = new FilesPanel(project);
$('files').replaceChildren(filesPanel.el);
filesPanel.show();
if (keptNote) filesPanel.el.append(h('p', { className: 'panel-message error' }, keptNote));
// an edit typed just before a reload or a closed tab is saved first
addEventListener('pagehide', () => void project.flush());

const shell = new DockerShell(view.term, {
  history: loadHistory(),
  pullable: bundledRepositories(manifest),
  // save -o and export -o download; the rest reads and writes the project
  files: { ...projectIO(project), writeFile: browserFiles.writeFile },
  onCommandDone: () => {
    saveHistory(shell.history);
    void panel?.refresh();
  },
});

// tabs
const tabs = [
  { tab: $('tab-docker'), pane: $('pane-docker'), show: () => (view.fit(), view.term.focus()) },
  { tab: $('tab-vm'), pane: $('pane-vm'), show: () => vmConsole.show() },
];
for (const t of tabs) {
  t.tab.addEventListener('click', () => {
    for (const o of tabs) {
      o.tab.setAttribute('aria-selected', String(o === t));
      o.pane.hidden = o !== t;
    }
    t.show();
  });
}
// the tutorial links to the VM shell (index.html#vm-shell) to show a container's process from outside
if (location.hash === '#vm-shell') $('tab-vm').click();

// the kernel log, bounded
const kernelLog = $('kernel-log');
const dec = new TextDecoder();
let kernelText = '';

const status = new BootStatus($('boot-status'));
view.term.write('\x1b[1mDockyard\x1b[0m: Docker in this browser tab.\r\n');
view.term.focus();

let toldWhy = false;
try {
  const session = await startSession({
    onProgress: (p) => {
      status.update(p);
      if (p.stage === 'download' && p.coldBootReason !== undefined && !toldWhy) {
        toldWhy = true;
        view.term.write(`\r\n${coldBootNote(p.coldBootReason)}\r\n`);
      }
      if (p.stage === 'download') view.term.write(`\r\x1b[K${progressText(p)}`);
      else if (p.stage === 'boot') view.term.write(`\r\n${progressText(p).replace(/: .*/, '…')}`);
    },
    onKernelLogReady: (listen) =>
      listen((b) => {
        kernelText = (kernelText + dec.decode(b, { stream: true })).slice(-100_000);
        kernelLog.textContent = kernelText;
      }),
  });
  const d = session.d;
  hook.bootMs = d.boot.bootMs;
  const repos = pullableWithSizes(session.manifest);
  // once the catalog is in the site, the command a learner reaches for next
  const tryNext = repos.some((r) => r.startsWith('nginx ')) ? `, then \x1b[1mdocker run -d -p 8080:80 nginx\x1b[0m (opens as ports/8080/)` : '';
  hook.restored = d.boot.restored;
  if (d.boot.coldBootReason) hook.coldBootReason = d.boot.coldBootReason;
  const figures = new Figures(d, session.manifest, timeColdBoot);
  const lost = lostContainersNote();
  shell.start(
    timeRuns(d, (t) => figures.runTimed(t)),
    ` ${readyText(d.boot)}.\n\n` +
      `Linux ${d.hello.kernel} (${d.hello.machine}) is running containerd-lite ${d.hello.version}.\n` +
      `Type docker commands ("docker" is optional). Tab completes, \u2191 recalls, Ctrl-L clears.\n` +
      `Images you can pull: ${repos.join(', ')}. Try: \x1b[1mdocker run --rm busybox echo hello\x1b[0m${tryNext}\n\n` +
      (lost ? `\x1b[33m${wrapWords(lost, Math.max(40, view.term.cols - 1))}\x1b[0m\n` : ''),
  );
  vmConsole.attach(session);
  session.onNotice((text) => shell.notice(text));
  panel = new SidePanel($('side-panel'), d, () => view.term.focus(), figures);
  panel.start(3000);
  hook.state = 'ready';
} catch (e) {
  status.fail(e);
  const { message, advice } = explain(e);
  hook.state = 'error';
  hook.error = message;
  view.term.write(`\r\n\r\n\x1b[1;31mDockyard could not start:\x1b[0m ${message}\r\n${advice}\r\n`);
  const box = $('error');
  box.replaceChildren(errorBox(e, kernelText ? h('details', {}, h('summary', {}, 'Kernel log'), h('pre', {}, kernelText.slice(-4000))) : undefined));
  box.hidden = false;
}
