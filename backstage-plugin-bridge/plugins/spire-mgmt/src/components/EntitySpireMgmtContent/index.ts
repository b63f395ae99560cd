export { EntitySpireMgmtContent } from './EntitySpireMgmtContent';
