import type { RemoteInfo } from '../contracts/api.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Db } from '../store/database.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { OciClient, RegistryTarget } from './oci-client.js';

/** What push.ts and pull.ts need of the sync agent: its stores, its remotes, and the clients it signs in. */
export interface SyncContext {
  db: Db;
  blobs: BlobStore;
  registry: ModelRegistry;
  hearthVersion: string;
  /** Read when a client is made, so a change to the agent's `clientOptions` applies to the next one. */
  clientOptions(): { chunkSize?: number; timeoutMs?: number };
  remote(name: string): RemoteInfo;
  credentials(remote: string): RegistryTarget['credentials'];
  clientForUrl(url: string, insecureHttp: boolean): { client: OciClient; reference: string; repository: string; host: string };
  /** Loads a registered version the way serving will. */
  warm(model: string, version: number): Promise<void>;
}
