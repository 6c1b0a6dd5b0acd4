import { sql as m0001 } from './0001-initial.js';
import { sql as m0002 } from './0002-sync-outbox.js';
import { sql as m0003 } from './0003-remote-credentials.js';
import { sql as m0004 } from './0004-pull-follow-metrics.js';
import { sql as m0005 } from './0005-prediction-log.js';
import { sql as m0006 } from './0006-alerts.js';
import { sql as m0007 } from './0007-stream-inbox.js';
import { sql as m0008 } from './0008-drift-history.js';
import { sql as m0009 } from './0009-routing.js';
import { sql as m0010 } from './0010-stream-rows.js';
import { sql as m0011 } from './0011-pii-policies.js';
import { sql as m0012 } from './0012-access.js';
import { sql as m0013 } from './0013-retention.js';
import { sql as m0014 } from './0014-dataset-rules.js';
import { sql as m0015 } from './0015-watched-files.js';
import { sql as m0016 } from './0016-pipelines.js';
import { sql as m0017 } from './0017-dataset-segments.js';
import { sql as m0018 } from './0018-session-token.js';
import { sql as m0019 } from './0019-prediction-log-columns.js';
import { sql as m0020 } from './0020-run-tags.js';

/** Every migration, in order. Append only: ids are 1, 2, 3, … with no gaps. */
export const migrations: readonly { id: number; name: string; sql: string }[] = [
  { id: 1, name: 'initial', sql: m0001 },
  { id: 2, name: 'sync-outbox', sql: m0002 },
  { id: 3, name: 'remote-credentials', sql: m0003 },
  { id: 4, name: 'pull-follow-metrics', sql: m0004 },
  { id: 5, name: 'prediction-log', sql: m0005 },
  { id: 6, name: 'alerts', sql: m0006 },
  { id: 7, name: 'stream-inbox', sql: m0007 },
  { id: 8, name: 'drift-history', sql: m0008 },
  { id: 9, name: 'routing', sql: m0009 },
  { id: 10, name: 'stream-rows', sql: m0010 },
  { id: 11, name: 'pii-policies', sql: m0011 },
  { id: 12, name: 'access', sql: m0012 },
  { id: 13, name: 'retention', sql: m0013 },
  { id: 14, name: 'dataset-rules', sql: m0014 },
  { id: 15, name: 'watched-files', sql: m0015 },
  { id: 16, name: 'pipelines', sql: m0016 },
  { id: 17, name: 'dataset-segments', sql: m0017 },
  { id: 18, name: 'session-token', sql: m0018 },
  { id: 19, name: 'prediction-log-columns', sql: m0019 },
  { id: 20, name: 'run-tags', sql: m0020 },
];
