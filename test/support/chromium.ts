/**
 * Debian's Chromium, driven by playwright-core, as every browser test and the
 * browser benchmark start it (never a browser that playwright downloads).
 *
 * Where it is not installed the browser tests skip, saying in one line how to
 * install it; BACKPROP_REQUIRE_BROWSER=1 (set by .ci/run) makes them run and
 * fail instead, so that CI never passes by skipping them.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where `apt-get install chromium` puts the browser; CHROMIUM overrides it. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (root in CI), and no background traffic to hosts this machine cannot reach. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MISSING = `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`;

/**
 * True when the browser tests should skip: Chromium is missing and
 * BACKPROP_REQUIRE_BROWSER is not set. Says so in one line on stderr.
 */
export function skipWithoutChromium(what: string): boolean {
  if (existsSync(CHROMIUM) || process.env.BACKPROP_REQUIRE_BROWSER === '1') return false;
  process.stderr.write(`skipping ${what}: ${MISSING}\n`);
  return true;
}

/** Launches Chromium, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(MISSING);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
