import { createContext, useContext } from 'react';
import type { Client } from '../../../main/contracts/client.js';

/** The typed client the shell hands every page (desktop IPC or HTTP, chosen at boot). */
export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const client = useContext(ClientContext);
  if (client === null) throw new Error('no client');
  return client;
}
