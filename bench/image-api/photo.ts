import sharp from 'sharp';

/** A 12 MP photo-like JPEG (gradient, shapes, film-grain noise), generated so no binary is committed. */
export async function photoJpeg(): Promise<Buffer> {
  const [w, h] = [4000, 3000];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a6fb0"/><stop offset="1" stop-color="#f0c060"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="1200" cy="1000" r="600" fill="#c03030"/><rect x="2200" y="1400" width="1400" height="1200" fill="#30a040"/></svg>`;
  const noise = await sharp({ create: { width: w, height: h, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 18 } } })
    .raw()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, raw: { width: w, height: h, channels: 3 }, blend: 'overlay' }])
    .jpeg({ quality: 88 })
    .toBuffer();
}
