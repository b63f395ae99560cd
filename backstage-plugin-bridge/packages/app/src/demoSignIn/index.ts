export { demoSignInModule } from './module';
export { DEMO_USERS } from './demoUsers';
export type { DemoUser } from './demoUsers';
