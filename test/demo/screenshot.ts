/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: apt-get install chromium (the CI script does), or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The machine's network is closed: no background connections, no first-run work (Playwright gives
    // the browser a fresh temporary profile).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens a local HTML file and returns the page's lineage facts and a PNG screenshot of the graph. */
export async function screenshotReport(file: string, png?: string) {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    const nodes = await page.$$eval('svg.lineage g.node', (gs) =>
      gs.map((g) => ({
        name: g.getAttribute('data-node'),
        health: g.getAttribute('data-health'),
        box: { width: (g as SVGGElement).getBBox().width, height: (g as SVGGElement).getBBox().height },
      })),
    );
    const edges = await page.$$eval('svg.lineage path.edge', (ps) => ps.length);
    const svg = await page.$('svg.lineage');
    const shot = await svg!.screenshot(png ? { path: png } : {});
    const full = png ? await page.screenshot({ path: png.replace(/\.png$/, '-page.png'), fullPage: true }) : undefined;
    return { nodes, edges, shot, full };
  } finally {
    await browser.close();
  }
}
