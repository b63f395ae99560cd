import { EntryForm } from './entryForm';
import { FormField } from './fieldProblems';

/** What every step's fields get from the wizard. */
export interface StepFieldsProps {
  form: EntryForm;
  /** The problems to show on a field key (a FormField, or `selectors[i].type|value`); undefined when none. */
  problems: (key: string) => string[] | undefined;
  /** Applies an edit of `field`. */
  onChange: (patch: Partial<EntryForm>, field: FormField) => void;
  /** The user left `field`: its problems show from now on. */
  onBlur: (field: FormField) => void;
}
