// Draws Hearth's application icon (a flame over a hearth stone, on a rounded square) as PNG files under
// resources/desktop/: icon.png (1024 px, electron-builder derives the .icns and .ico from it) and icons/N x N.png for
// Linux. No image library: the pixels are computed here and written with zlib as a plain RGBA PNG.
// Usage: node scripts/make-icon.js
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (1 + 4 * size));
  for (let y = 0; y < size; y++) {
    raw[y * (1 + 4 * size)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      // 4×4 supersampling for smooth edges.
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const [r, g, b, a] = pixel((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
          acc[0] += r * a;
          acc[1] += g * a;
          acc[2] += b * a;
          acc[3] += a;
        }
      const o = y * (1 + 4 * size) + 1 + 4 * x;
      const alpha = acc[3] / 16;
      for (let i = 0; i < 3; i++) raw[o + i] = alpha === 0 ? 0 : Math.round(acc[i] / acc[3]);
      raw[o + 3] = Math.round(alpha * 255);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The icon at (u, v) in [0, 1]²: [r, g, b, alpha 0..1]. */
function icon(u, v) {
  // Rounded square, 8% margin, corner radius 22%.
  const m = 0.08;
  const r = 0.22 * (1 - 2 * m);
  const qx = Math.max(Math.abs(u - 0.5) - (0.5 - m - r), 0);
  const qy = Math.max(Math.abs(v - 0.5) - (0.5 - m - r), 0);
  if (Math.hypot(qx, qy) > r) return [0, 0, 0, 0];
  // The hearth stone: a bar near the bottom.
  if (v > 0.72 && v < 0.79 && Math.abs(u - 0.5) < 0.27) return [150, 140, 128, 1];
  // The flame: a teardrop (circle below, tapering to a point above), inner core lighter.
  const flame = (scale) => {
    const cx = 0.5;
    const cy = 0.56;
    const radius = 0.16 * scale;
    const dy = v - cy;
    if (dy >= 0) return Math.hypot(u - cx, dy) < radius;
    const height = 0.34 * scale;
    const t = -dy / height; // 0 at the circle's centre, 1 at the tip
    if (t > 1) return false;
    const halfWidth = radius * Math.sqrt(1 - t) * (1 - 0.35 * t);
    return Math.abs(u - cx - 0.04 * scale * Math.sin(t * Math.PI)) < halfWidth;
  };
  if (flame(0.5)) return [255, 226, 140, 1];
  if (flame(1)) return [244, 124, 32, 1];
  // Background: a dark warm gradient.
  const shade = 1 - 0.35 * v;
  return [Math.round(58 * shade), Math.round(40 * shade), Math.round(36 * shade), 1];
}

const dir = new URL('../resources/desktop/', import.meta.url);
mkdirSync(new URL('icons/', dir), { recursive: true });
writeFileSync(new URL('icon.png', dir), png(1024, icon));
for (const size of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(new URL(`icons/${size}x${size}.png`, dir), png(size, icon));
