/**
 * The image `getSample` returns (the original returned ImageMagick's built-in `rose:`). It is drawn from
 * this SVG at run time, so the sample ships inside the bundle with no separate file and no third-party
 * artwork: a 320×240 picture with a gradient sky, a sun and hills.
 */
export const SAMPLE_WIDTH = 320;
export const SAMPLE_HEIGHT = 240;

export const SAMPLE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="${SAMPLE_WIDTH}" height="${SAMPLE_HEIGHT}" viewBox="0 0 320 240">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#1e5fa8"/>
      <stop offset="1" stop-color="#9fd3f5"/>
    </linearGradient>
  </defs>
  <rect width="320" height="240" fill="url(#sky)"/>
  <circle cx="240" cy="70" r="34" fill="#ffd23f"/>
  <path d="M0 180 Q 80 110 160 170 T 320 150 V 240 H 0 Z" fill="#3a8d3f"/>
  <path d="M0 210 Q 100 170 200 205 T 320 200 V 240 H 0 Z" fill="#24632a"/>
  <rect x="60" y="150" width="34" height="30" fill="#b5462f"/>
  <path d="M54 152 L77 128 L100 152 Z" fill="#6b2a1c"/>
</svg>`;
