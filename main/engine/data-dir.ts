// The data folder is a setting like the others (settings/environment.ts), kept importable here for the engine's callers.
export { resolveDataDir, resolveDataDirSetting } from '../settings/environment.js';
