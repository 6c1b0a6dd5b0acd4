import { sql as m0001 } from './0001-initial.js';

/** Every migration, in order. Append only: ids are 1, 2, 3, … with no gaps. */
export const migrations: readonly { id: number; name: string; sql: string }[] = [{ id: 1, name: 'initial', sql: m0001 }];
