import { runEngineHost } from '../api/engine-host.js';
import { Engine } from '../engine/engine.js';
import { resolveDataDir } from '../engine/data-dir.js';

// Entry of the engine's Electron utility process: Electron provides process.parentPort there.
const port = (process as unknown as { parentPort?: Parameters<typeof runEngineHost>[0] }).parentPort;
if (port === undefined) throw new Error('engine-host must be started with utilityProcess.fork');
const engine = Engine.open(resolveDataDir());
// The desktop, like the server, drains the sync outbox in the background whenever a remote is reachable.
engine.sync.start();
// Alert rules are checked every minute; a firing alert becomes a desktop notification in the shell.
engine.alerts.start();
runEngineHost(port, engine);
