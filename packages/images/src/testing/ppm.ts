/** Summary of a binary PPM (P6), the format QMP screendump writes when no format is given. */
export interface ScreenSummary {
  width: number;
  height: number;
  /** Distinct colours, counted up to 64. */
  colours: number;
  /** Share of pixels that are not the most common colour: 0 means a blank screen. */
  inkShare: number;
  /** Most common colour as [r, g, b]: the background. */
  background: [number, number, number];
}

export function summarizePpm(ppm: Buffer): ScreenSummary {
  // Header: "P6" whitespace width whitespace height whitespace maxval, then one whitespace byte.
  const head = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString("latin1"));
  if (!head?.[1] || !head[2] || head[3] !== "255") throw new Error("not an 8-bit P6 PPM");
  const width = Number(head[1]);
  const height = Number(head[2]);
  const pixels = ppm.subarray(head[0].length);
  if (pixels.length < width * height * 3) throw new Error("truncated PPM");
  const counts = new Map<number, number>();
  for (let i = 0; i < width * height * 3; i += 3) {
    const rgb = ((pixels[i] ?? 0) << 16) | ((pixels[i + 1] ?? 0) << 8) | (pixels[i + 2] ?? 0);
    if (counts.size < 64 || counts.has(rgb)) counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
  }
  let [bg, top] = [0, 0];
  for (const [rgb, n] of counts) if (n > top) [bg, top] = [rgb, n];
  const background: [number, number, number] = [(bg >> 16) & 255, (bg >> 8) & 255, bg & 255];
  return { width, height, colours: counts.size, inkShare: 1 - top / (width * height), background };
}
