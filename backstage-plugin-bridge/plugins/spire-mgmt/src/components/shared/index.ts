export { ColumnHeaders } from './ColumnHeaders';
export { ErrorPanel } from './ErrorPanel';
export {
  AUDIT_HISTORY,
  COMPONENT_IDENTITIES,
  describeError,
  ENTRY_REQUESTS,
  MANAGEMENT_LISTS,
} from './errorMessages';
export type { ErrorContext, ErrorDescription } from './errorMessages';
export { LiveSyncStatus } from './LiveSyncStatus';
export { SelectorList } from './SelectorList';
export { SiteStatusList } from './SiteStatusList';
export { applySyncUpdate, SYNC_STATE_LABELS } from './syncState';
export { syncErrorHint } from './syncErrorHint';
export { useLiveSyncState } from './useLiveSyncState';
export { useLiveValue } from './useLiveValue';
export { useSiteNames } from './useSiteNames';
export type { LiveValue, LiveValueSource } from './useLiveValue';
export { formatDuration, formatTime } from './format';
