export { ApproverQueue } from './ApproverQueue';
