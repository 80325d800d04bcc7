/** Just enough PNG decoding for screen tests: 8-bit RGB/RGBA, not interlaced. */
import { inflateSync } from "node:zlib";

export interface Picture {
  width: number;
  height: number;
  /** RGB triples, row by row */
  rgb: Uint8Array;
}

export function decodePng(png: Buffer): Picture {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0)
        throw new Error(`unsupported PNG (depth ${depth}, color ${color})`);
      channels = color === 2 ? 3 : 4;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 3);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (cur[i - channels] as number) : 0;
      const b = prev[i] as number;
      const c = i >= channels ? (prev[i - channels] as number) : 0;
      const x = line[i] as number;
      let v: number;
      if (filter === 0) v = x;
      else if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a),
          pb = Math.abs(p - b),
          pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      cur[i] = v & 0xff;
    }
    for (let px = 0; px < width; px++) out.set(cur.subarray(px * channels, px * channels + 3), (y * width + px) * 3);
    prev = cur;
  }
  return { width, height, rgb: out };
}

export interface ScreenTraits {
  /** Share of pixels that are clearly blue. */
  blue: number;
  /** Share of near-black pixels. */
  dark: number;
  /** Share of light grey/white pixels. */
  light: number;
  /** Largest share of light pixels in any one row (a highlighted menu bar is nearly 1). */
  maxLightRow: number;
}

export function screenTraits(p: Picture): ScreenTraits {
  let blue = 0,
    dark = 0,
    light = 0,
    maxLightRow = 0;
  for (let y = 0; y < p.height; y++) {
    let rowLight = 0;
    for (let x = 0; x < p.width; x++) {
      const i = (y * p.width + x) * 3;
      const r = p.rgb[i] as number,
        g = p.rgb[i + 1] as number,
        b = p.rgb[i + 2] as number;
      if (b > 100 && r < 80 && g < 80) blue++;
      if (r < 40 && g < 40 && b < 40) dark++;
      if (r > 140 && g > 140 && b > 140) {
        light++;
        rowLight++;
      }
    }
    maxLightRow = Math.max(maxLightRow, rowLight / p.width);
  }
  const n = p.width * p.height;
  return { blue: blue / n, dark: dark / n, light: light / n, maxLightRow };
}
