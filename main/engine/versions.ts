import { createRequire } from 'node:module';
import Database from 'better-sqlite3-multiple-ciphers';
import type { InstallationVersions } from '../contracts/system.js';
import { hearthVersion } from './version.js';

const require = createRequire(import.meta.url);

/** A package's version from its package.json, or null when it is not installed (an optional dependency). */
function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/**
 * What this installation is made of, read without opening a data folder or loading a native runtime: package
 * versions from their package.json files and SQLite's from an in-memory database (the library Hearth links, which
 * may differ from the system's). TensorFlow.js names the native binding when one is installed (the GPU one first,
 * as the back-end chain prefers it); its pure-JavaScript core is always there.
 */
export function installationVersions(): InstallationVersions {
  const memory = new Database(':memory:');
  let sqlite: string;
  try {
    sqlite = (memory.prepare('select sqlite_version() as v').get() as { v: string }).v;
  } finally {
    memory.close();
  }
  const native = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].find((p) => packageVersion(p) !== null) ?? null;
  return {
    hearth: hearthVersion,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    onnxRuntime: packageVersion('onnxruntime-node') ?? 'not installed',
    tensorflow: {
      core: packageVersion('@tensorflow/tfjs-core') ?? 'not installed',
      nativeBinding: native === null ? null : `${native} ${packageVersion(native)!}`,
    },
    sqlite,
  };
}
