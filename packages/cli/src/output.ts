import pc from 'picocolors';

/** True when colour may be used on `stream`: a terminal, and NO_COLOR not set. */
export function colourOn(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** Colour only on a terminal (and never when NO_COLOR is set). */
export function colours(stream: NodeJS.WriteStream) {
  return pc.createColors(colourOn(stream));
}

export type Colours = ReturnType<typeof colours>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Left-aligned columns (right-aligned where `right[i]`), two spaces apart. */
export function table(headers: string[], rows: string[][], right: boolean[] = []): string[] {
  const widths = headers.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
        return right[i] ? pad + cell : i === cells.length - 1 ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

export function outcomeColour(outcome: string, c: Colours): string {
  if (outcome === 'issued' || outcome === 'reserved') return c.green(outcome);
  if (outcome === 'not_matched') return c.dim(outcome);
  if (outcome === 'rejected') return c.red(outcome);
  return c.yellow(outcome);
}
