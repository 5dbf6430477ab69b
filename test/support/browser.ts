import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { requireBinary } from './components.js';

/** Debian's chromium: playwright-core drives it and never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether chromium can run: under CI=true a missing one fails the test file (never a silent skip);
 * elsewhere the tests skip with a loud message.
 */
export function requireChromium(): { skip: string | false } {
  return requireBinary(CHROMIUM, ['--version'], 'chromium');
}

/**
 * Launches headless chromium with nothing that phones home (no QUIC, no background networking, component
 * updates or sync). Playwright gives every launch a fresh temporary --user-data-dir and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A context signed in to the console with `token`, landing on `path`; every request it makes is recorded. */
export async function signedIn(browser: Browser, base: string, token: string, o: { path?: string; viewport?: { width: number; height: number }; timezoneId?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 900 }, baseURL: base, ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}), ...(o.colorScheme ? { colorScheme: o.colorScheme } : {}) });
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.goto(o.path ?? '/');
  await page.waitForURL(/\/signin/);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('button[type="submit"]')]);
  return { context, page, requests };
}

/** Whether the page is wider than its viewport (it scrolls sideways). */
export function scrollsSideways(page: Page): Promise<boolean> {
  // a string, so this file needs no DOM types
  return page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth') as Promise<boolean>;
}
