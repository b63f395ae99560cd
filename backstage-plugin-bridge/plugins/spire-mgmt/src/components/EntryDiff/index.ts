export { EntryDiff } from './EntryDiff';
export type { EntryDiffProps } from './EntryDiff';
export { DiffTable } from './DiffTable';
export { diffEntries, diffJsonObjects, formatTime } from './diffEntries';
export type { DiffValue, FieldDiff } from './diffEntries';
