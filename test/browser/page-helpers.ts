// Reading and typing into Dockyard pages the way a person would.
import type { Page } from 'playwright-core';
import type {} from '../../src/web/debug-api.js'; // window.__dockyard

/** The docker terminal's text (the page's debug hook reads xterm's buffer). */
export function screenText(page: Page, which: 'docker' | 'vm' = 'docker'): Promise<string> {
  return page.evaluate((w) => window.__dockyard?.screenText(w) ?? '', which);
}

/** Polls `read` until `re` matches; the error shows what was there instead. */
export async function waitForMatch(read: () => Promise<string>, re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const t0 = Date.now();
  let text = '';
  for (;;) {
    text = await read();
    const m = re.exec(text);
    if (m) return m;
    if (Date.now() - t0 > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${re}; the screen shows:\n${text.split('\n').slice(-25).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function waitForScreen(page: Page, re: RegExp, timeoutMs?: number, which: 'docker' | 'vm' = 'docker'): Promise<RegExpExecArray> {
  return waitForMatch(() => screenText(page, which), re, timeoutMs);
}

/** Text after the last docker prompt line that starts with `cmd` (its output so far). */
export function outputOf(screen: string, cmd: string): string {
  const i = screen.lastIndexOf(`$ ${cmd}\n`);
  return i < 0 ? '' : screen.slice(i + cmd.length + 3);
}

/** The screen ends at an empty docker prompt. */
export const AT_PROMPT = /docker\$ ?$/;

/** Waits for the page's VM to be up (or to have failed, which fails the test with its message). */
export async function waitReady(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(() => window.__dockyard !== undefined && window.__dockyard.state !== 'starting', undefined, { timeout: timeoutMs, polling: 200 });
  const state = await page.evaluate(() => ({ state: window.__dockyard!.state, error: window.__dockyard!.error }));
  if (state.state !== 'ready') throw new Error(`the page failed to start: ${state.error}`);
}

/** Types a line into the focused terminal and presses Enter. */
export async function typeLine(page: Page, line: string): Promise<void> {
  await page.keyboard.type(line, { delay: 5 });
  await page.keyboard.press('Enter');
}

/** Runs a docker command at the prompt and returns its output once the prompt is back. */
export async function docker(page: Page, line: string, timeoutMs = 60_000): Promise<string> {
  const before = await screenText(page);
  await typeLine(page, line);
  await waitForMatch(
    async () => {
      const t = await screenText(page);
      return t.length > before.length ? t.slice(before.length) : '';
    },
    /\n[^]*docker\$ ?$/,
    timeoutMs,
  );
  return outputOf(await screenText(page), line).replace(/\n?docker\$ ?$/, '');
}

/** Focuses the docker terminal and gets an empty prompt (Ctrl-C drops a half-typed line). */
export async function freshPrompt(page: Page): Promise<void> {
  await page.click('#terminal');
  await page.keyboard.press('Control+C');
  await waitForScreen(page, AT_PROMPT);
}

/** Opens `url` in `tab` once it answers 200: a container's server may need a moment to listen after its process runs. */
export async function gotoWhenServing(tab: Page, url: string, tries = 20): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await tab.goto(url);
    if (r?.status() === 200 || i >= tries) return;
    await tab.waitForTimeout(250);
  }
}
