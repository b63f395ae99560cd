import { Duration, Timestamp, timestampDate } from '@bufbuild/protobuf/wkt';

/** A time in UTC, to the second (`2026-12-03 19:20:05 UTC`); `never` when unset. */
export function formatTime(time: Timestamp | undefined): string {
  if (!time) {
    return 'never';
  }
  return `${timestampDate(time)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`;
}

/** A duration in days, hours, minutes and seconds, largest first (`1 h 2 min 5 s`); `0 s` when unset. */
export function formatDuration(duration: Duration | undefined): string {
  const total = duration ? Math.round(Number(duration.seconds)) : 0;
  const units: Array<[string, number]> = [
    ['d', 86400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(total, 0);
  for (const [unit, seconds] of units) {
    const count = Math.floor(rest / seconds);
    if (count > 0) {
      parts.push(`${count} ${unit}`);
      rest -= count * seconds;
    }
  }
  return parts.length > 0 ? parts.join(' ') : '0 s';
}
