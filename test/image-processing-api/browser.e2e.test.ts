import { Browser, chromium } from 'playwright-core';
import sharp from 'sharp';
import { LocalImageApi, startLocalImageApi } from '../../bin/image-api-local';
import { describeWithTools, whichTool } from '../../local/tools';

// The callbacks below run in the page. The project compiles without the DOM library, so declare the little
// they use here (module scope: nothing leaks into other files).
interface PageImage {
  naturalWidth: number;
  naturalHeight: number;
  src: string;
  getBoundingClientRect(): { left: number; width: number };
}
declare const document: {
  getElementById(id: string): (PageImage & { textContent: string | null }) | null;
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
});
