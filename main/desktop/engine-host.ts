import { runEngineHost } from '../api/engine-host.js';

// Entry of the engine's Electron utility process: Electron provides process.parentPort there.
const port = (process as unknown as { parentPort?: Parameters<typeof runEngineHost>[0] }).parentPort;
if (port === undefined) throw new Error('engine-host must be started with utilityProcess.fork');
runEngineHost(port);
