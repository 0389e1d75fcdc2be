// How much of a PNG is drawn: the share of its pixels that differ from its top-left (background) pixel.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export function inkShare(file: string): { width: number; height: number; ink: number } {
  const png = PNG.sync.read(readFileSync(file));
  const bg = png.data.readUInt32BE(0);
  let ink = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data.readUInt32BE(i) !== bg) ink++;
  return { width: png.width, height: png.height, ink: ink / (png.width * png.height) };
}
