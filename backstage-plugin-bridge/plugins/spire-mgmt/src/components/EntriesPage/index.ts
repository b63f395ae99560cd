export { EntriesPage } from './EntriesPage';
