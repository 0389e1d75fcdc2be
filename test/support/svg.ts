// Reading Vega's SVG in tests: its SVG renderer gives each drawn item of a data mark an aria role
// description ("bar" for a bar, "point" for a point, "line mark" for a whole line), which axes,
// grid lines and legends do not have, so counting them counts what the data drew.

/** How many data marks of a kind the SVG holds. */
export function marksIn(svg: string, mark: 'bar' | 'point' | 'line mark'): number {
  return svg.split(`aria-roledescription="${mark}"`).length - 1;
}

/** The width and height of every bar (Vega draws a bar as the path M x,y h w v h h -w Z). */
export function barSizes(svg: string): [number, number][] {
  const bars = svg.match(/<path[^>]*aria-roledescription="bar"[^>]*>/g) ?? [];
  return bars.map((bar) => {
    const [, w, h] = /\sd="M[-\d.e]+,[-\d.e]+h([-\d.e]+)v([-\d.e]+)h/.exec(bar) ?? [];
    return [Number(w), Number(h)];
  });
}
