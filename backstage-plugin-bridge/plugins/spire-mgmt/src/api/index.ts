export * from './SpireMgmtApi';
export * from './SpireMgmtClient';
