export { AuditHistory } from './AuditHistory';
export { AuditPage } from './AuditPage';
export type { AuditHistoryProps } from './AuditHistory';
export { ComponentAuditSection } from './ComponentAuditSection';
