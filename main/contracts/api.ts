/*
 * The API contract now lives in one file per domain, assembled by index.ts. This file stays as a thin re-export so
 * that imports of contracts/api.js elsewhere (cli/, renderer/, tests…) keep working while those folders move to
 * contracts/index.js; remove it once nothing imports it.
 */
export * from './index.js';
