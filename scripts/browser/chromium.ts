/**
 * The system's Chromium (Debian's `chromium` package) driven by playwright-core: nothing is
 * downloaded at install time, so the browser must already be on the machine (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page, type Request } from 'playwright-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags measured on these machines (/work/shared/notes/browser.md): --no-sandbox because tests
 * run as root; the background-networking ones keep Chromium from flooding a closed network with
 * connection attempts. playwright-core adds --headless and a fresh temporary profile itself.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH && env.CHROMIUM_PATH.trim() !== '' ? env.CHROMIUM_PATH : DEFAULT_CHROMIUM;
}

export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = chromiumPath(env);
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true, timeout: 60_000 });
}

export interface ProblemWatch {
  problems: string[];
  stop(): void;
}

/**
 * Collects what a user would see as breakage in the DevTools console: console errors, uncaught
 * page exceptions and failed requests (a blocked script or stylesheet shows up here).
 */
export function watchProblems(page: Page): ProblemWatch {
  const problems: string[] = [];
  const onConsole = (m: ConsoleMessage): void => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  };
  const onPageError = (e: Error): void => void problems.push(`page error: ${e.message}`);
  const onRequestFailed = (r: Request): void => void problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`);
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  page.on('requestfailed', onRequestFailed);
  return {
    problems,
    stop() {
      page.off('console', onConsole);
      page.off('pageerror', onPageError);
      page.off('requestfailed', onRequestFailed);
    },
  };
}
