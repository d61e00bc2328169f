import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Progress, progressLine } from '../src/commands/dry-run.js';

describe('the dry-run progress line', () => {
  it('gives the count, the rate, the share of the file read, the elapsed time and the time left', () => {
    expect(progressLine(250_000, 17.6, 0.25)).toBe(
      '250,000 events · 14,205 events/s · 25% · 0:18 elapsed · about 0:53 left',
    );
    expect(progressLine(1_000_000, 130, 0.999)).toBe(
      '1,000,000 events · 7,692 events/s · 99% · 2:10 elapsed · about 0:00 left',
    );
  });

  it('leaves the time left out when the share read is not known', () => {
    expect(progressLine(1_200, 2, undefined)).toBe('1,200 events · 600 events/s · 0:02 elapsed');
    expect(progressLine(0, 0, 0)).toBe('0 events · 0 events/s · 0:00 elapsed');
  });

  it('draws nothing when its stream is not a terminal (a pipe, a file, CI)', () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    (out as unknown as PassThrough).on('data', (d) => {
      written += d;
    });
    const progress = new Progress(out);
    progress.tick(10, 0.5);
    progress.done();
    expect(written).toBe('');
  });
});
