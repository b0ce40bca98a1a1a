import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import sharp from 'sharp';
import { LocalImageApi, startLocalImageApi } from '../../bin/image-api-local';
import { describeWithTools, whichTool } from '../../local/tools';

// The callbacks below run in the page. The project compiles without the DOM library, so declare the little
// they use here (module scope: nothing leaks into other files).
interface PageImage {
  hidden: boolean;
  naturalWidth: number;
  naturalHeight: number;
  src: string;
  getBoundingClientRect(): { left: number; width: number };
}
declare const document: {
  getElementById(id: string): (PageImage & { textContent: string | null; value: number; href: string; download: string }) | null;
  createElement(tag: 'canvas'): {
    width: number;
    height: number;
    getContext(kind: '2d'): { drawImage(img: PageImage, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
  };
};

/**
 * The web page in a real browser, against the local server that runs the real handler with API Gateway
 * proxy events: upload an image, set the width, apply negate, check the processed image.
 */
describeWithTools(['chromium'], 'image API web page in headless Chromium', () => {
  let api: LocalImageApi;
  let browser: Browser;

  beforeAll(async () => {
    api = await startLocalImageApi({ port: 0 });
    browser = await chromium.launch({
      executablePath: whichTool('chromium') ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('uploads an image, resizes it to the chosen width with negate, and shows both side by side', async () => {
    // 200×100: left half (200, 100, 40), right half (10, 20, 30).
    const raw = Buffer.alloc(200 * 100 * 3);
    for (let i = 0; i < 200 * 100; i++) raw.set(i % 200 < 100 ? [200, 100, 40] : [10, 20, 30], i * 3);
    const upload = await sharp(raw, { raw: { width: 200, height: 100, channels: 3 } }).png().toBuffer();

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${api.url}/`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Ready'));

    await page.setInputFiles('#file', { name: 'halves.png', mimeType: 'image/png', buffer: upload });
    await page.waitForFunction(() => (document.getElementById('original')!).naturalWidth === 200);
    await page.fill('#width', '50');
    await page.selectOption('#filter', 'negate');
    await page.click('#process');
    await page.waitForFunction(() => /^(Done|The API refused)/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.textContent('#status')).toMatch(/^Done in \d+ ms\.$/);

    const shown = await page.evaluate(() => {
      const img = document.getElementById('processed')!;
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return {
        width: img.naturalWidth,
        height: img.naturalHeight,
        left: Array.from(ctx.getImageData(10, 12, 1, 1).data),
        right: Array.from(ctx.getImageData(40, 12, 1, 1).data),
        src: img.src,
        originalShown: (document.getElementById('original')!).getBoundingClientRect().width > 0,
        processedBox: img.getBoundingClientRect().left > (document.getElementById('original')!).getBoundingClientRect().left,
      };
    });
    expect({ width: shown.width, height: shown.height }).toEqual({ width: 50, height: 25 });
    expect(shown.originalShown).toBe(true);
    expect(shown.processedBox).toBe(true); // side by side: processed to the right of the original
    // Negated: 255 - (200, 100, 40) on the left, 255 - (10, 20, 30) on the right, read back by the browser...
    expect(shown.left).toEqual([55, 155, 215, 255]);
    expect(shown.right).toEqual([245, 235, 225, 255]);
    // ...and by sharp from the bytes the page received.
    const png = Buffer.from(shown.src.slice(shown.src.indexOf(',') + 1), 'base64');
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 50, height: 25 });
    expect(await page.textContent('#processed-info')).toContain('-negate -resize 50');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the API refusal for a file that is not an image', async () => {
    const page = await browser.newPage();
    await page.goto(`${api.url}/`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Ready'));
    // Load a real image first so the Process button is enabled, then swap the data for a text file.
    await page.click('#sample');
    await page.waitForFunction(() => (document.getElementById('original')!).naturalWidth > 0);
    await page.setInputFiles('#file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'Loaded the sample image.');
    await page.click('#process');
    await page.waitForFunction(() => /refused/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.textContent('#status')).toMatch(/The API refused: 415: The bytes are not an image/);
    await page.close();
  });

  /** Screenshots of each state, kept for people to look at (the path is printed) and read back by sharp. */
  const screens = fs.mkdtempSync(path.join(os.tmpdir(), 'image-api-page-'));
  async function screenshot(page: Page, name: string, selector?: string): Promise<Buffer> {
    const file = path.join(screens, `${name}.png`);
    const bytes = selector ? await page.locator(selector).screenshot({ path: file }) : await page.screenshot({ path: file, fullPage: true });
    process.stdout.write(`screenshot: ${file}\n`);
    return bytes;
  }

  /** Mean colour of the middle of a screenshot (a 20×20 square), as [r, g, b]. */
  async function middleColour(png: Buffer): Promise<number[]> {
    const { width, height } = await sharp(png).metadata();
    const { channels } = await sharp(png).extract({ left: Math.floor(width! / 2) - 10, top: Math.floor(height! / 2) - 10, width: 20, height: 20 }).stats();
    return channels.slice(0, 3).map((c) => Math.round(c.mean));
  }

  it('shows empty frames with hints before an image is chosen, then a large photo through S3 with progress, its size, dimensions, time and a download link', async () => {
    // 4000×3000 with grain, about 5 MB: above the 4 MiB inline limit, so the page must take the S3 path.
    // (sharp's noise replaces the background: the colour comes from scaling grey grain around 128.)
    const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .linear([1.5, 0.8, 0.3], [0, 0, 0])
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(photo.length).toBeGreaterThan(4 * 1024 * 1024);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${api.url}/`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Ready'));

    // 1. Nothing chosen: no <img> is rendered (no broken-image icon), each frame shows its hint, no progress.
    const empty = await page.evaluate(() => ({
      original: document.getElementById('original')!.hidden,
      processed: document.getElementById('processed')!.hidden,
      hints: [document.getElementById('original-hint')!.hidden, document.getElementById('processed-hint')!.hidden],
      progress: document.getElementById('progress-row')!.hidden,
      download: document.getElementById('download')!.hidden,
    }));
    expect(empty).toEqual({ original: true, processed: true, hints: [false, false], progress: true, download: true });
    expect(await page.locator('img:visible').count()).toBe(0);
    await screenshot(page, '1-empty');
    expect(await page.textContent('#original-hint')).toMatch(/Choose an image/);
    // The empty frame is the page's white hint card on the checkerboard: light, no icon-dark pixels in the middle.
    for (const channel of await middleColour(await screenshot(page, '1-empty-frame', '#processed-frame'))) expect(channel).toBeGreaterThan(200);

    // 2. A large photo chosen: shown from the file itself, marked for S3.
    await page.setInputFiles('#file', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.waitForFunction(() => document.getElementById('original')!.naturalWidth === 4000);
    // The page sets its status once the image has loaded (an await later): wait for it, do not race it.
    await page.waitForFunction(() => /goes to S3/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 10_000 });
    expect(await page.textContent('#original-info')).toMatch(/4000×3000 px, \d+\.\d MB/);
    await screenshot(page, '2-chosen');

    // 3. Processing: the progress bar shows the upload (caught while it is visible), then the result.
    await page.fill('#width', '400');
    await page.selectOption('#filter', 'negate');
    await page.selectOption('#format', 'jpg');
    const stats = api.stats();
    await page.click('#process');
    await page.waitForFunction(() => !document.getElementById('progress-row')!.hidden);
    await screenshot(page, '3-progress');
    await page.waitForFunction(() => /^(Done|The API refused)/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/^Done in \d+ ms\.$/);
    expect(api.stats().invocations - stats.invocations).toBe(2); // getUploadUrl, then convert by sourceKey

    // 4. Done: the result with its dimensions, size, format, time, and a download link to the same bytes.
    const done = await page.evaluate(() => ({
      info: document.getElementById('processed-info')!.textContent,
      width: document.getElementById('processed')!.naturalWidth,
      src: document.getElementById('processed')!.src,
      download: { hidden: document.getElementById('download')!.hidden, href: document.getElementById('download')!.href, name: document.getElementById('download')!.download },
      progress: document.getElementById('progress')!.value,
    }));
    expect(done.info).toMatch(/^Processed \(-negate -resize 400\): 400×300 px, \d+(\.\d)? (kB|bytes), JPG, \d+ ms$/);
    expect(done.width).toBe(400);
    expect(done.src).toMatch(/^blob:/);
    expect(done.download).toEqual({ hidden: false, href: done.src, name: 'processed-400x300.jpg' });
    expect(done.progress).toBe(100);
    const result = await screenshot(page, '4-done-result', '#processed');
    // Negated (192, 102, 38) with grain: about (63, 153, 217) on screen.
    const [r, g, b] = await middleColour(result);
    expect(Math.abs(r - 63)).toBeLessThan(25);
    expect(Math.abs(g - 153)).toBeLessThan(25);
    expect(Math.abs(b - 217)).toBeLessThan(25);
    await screenshot(page, '4-done');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});
