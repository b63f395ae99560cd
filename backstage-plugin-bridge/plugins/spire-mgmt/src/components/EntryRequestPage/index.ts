export { EntryRequestPage } from './EntryRequestPage';
