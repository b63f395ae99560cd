export { SpireMgmtPage, SpireMgmtSections } from './SpireMgmtPage';
