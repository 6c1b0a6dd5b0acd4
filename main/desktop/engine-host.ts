import { runEngineHost } from '../api/engine-host.js';
import { createHandlers } from '../api/handlers.js';
import { scheduleDoor, serviceDoor } from '../api/in-process.js';
import { Engine } from '../engine/engine.js';
import { resolveDataDir } from '../engine/data-dir.js';
import { startServices } from '../engine/services.js';

// Entry of the engine's Electron utility process: Electron provides process.parentPort there.
const port = (process as unknown as { parentPort?: Parameters<typeof runEngineHost>[0] }).parentPort;
if (port === undefined) throw new Error('engine-host must be started with utilityProcess.fork');
const engine = Engine.open(resolveDataDir());
const handlers = createHandlers(engine);
// The desktop runs the same background services as `hearth serve`, from the same config: the sync agent, alert checks
// (a firing alert becomes a desktop notification in the shell), backups, collection, watched folders, pipeline
// schedules and MQTT streams, each calling the API through dispatch under its own identity.
const services = startServices(engine, {
  service: serviceDoor(engine, handlers),
  schedule: (file) => scheduleDoor(engine, handlers, file),
});
// Before a restore replaces the data folder: the services finish what is under way (a stream's last append, a sync
// drain), the prediction log's pending rows are written, and the store is closed, not cut off mid-write.
runEngineHost(port, engine, handlers, async () => {
  await services.stop();
  await engine.predictionLog.flushed();
  engine.close();
  process.exit(0);
});
