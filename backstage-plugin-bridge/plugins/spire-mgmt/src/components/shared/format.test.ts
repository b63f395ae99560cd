import { create } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { formatDuration, formatTime } from './format';

describe('format', () => {
  it('writes a time in UTC to the second, and an unset one as never', () => {
    expect(
      formatTime(timestampFromMs(Date.UTC(2026, 11, 3, 19, 20, 5, 731))),
    ).toBe('2026-12-03 19:20:05 UTC');
    expect(formatTime(undefined)).toBe('never');
  });

  it('writes a duration in its largest units first, leaving out those at zero', () => {
    expect(formatDuration(create(DurationSchema, { seconds: 3725n }))).toBe(
      '1 h 2 min 5 s',
    );
    expect(formatDuration(create(DurationSchema, { seconds: 90061n }))).toBe(
      '1 d 1 h 1 min 1 s',
    );
    expect(formatDuration(create(DurationSchema, { seconds: 120n }))).toBe(
      '2 min',
    );
    expect(formatDuration(create(DurationSchema, { seconds: 0n }))).toBe('0 s');
    expect(formatDuration(undefined)).toBe('0 s');
  });
});
