import pc from 'picocolors';

/** Colour only on a terminal (and never when NO_COLOR is set). */
export function colours(stream: NodeJS.WriteStream) {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  return pc.createColors(on);
}
