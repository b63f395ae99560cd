export { authModuleDemoSignIn as default } from './module';
export { DEMO_PROVIDER_ID } from './module';
export { DEMO_USER_HEADER } from './demoSignInProvider';
