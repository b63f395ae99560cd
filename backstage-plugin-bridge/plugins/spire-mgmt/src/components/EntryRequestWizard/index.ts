export { EntryRequestWizard } from './EntryRequestWizard';
