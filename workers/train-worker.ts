import { parentPort } from 'node:worker_threads';
import { HearthError, serializeError, missingCase } from '../main/contracts/errors.js';
import { fitBoosting } from './gbdt/boost.js';
import { fitForest } from './gbdt/forest.js';
import { fitLinear } from './linear/fit-linear.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/** Training worker: runs one fit at a time off the engine's event loop and streams progress back. */
const port = parentPort;
if (port === null) throw new Error('train-worker must run as a worker thread');

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

port.on('message', (request: WorkerRequest) => {
  const started = process.cpuUsage();
  try {
    switch (request.type) {
      case 'fit-linear': {
        const cancel = new Int32Array(request.cancel);
        const fit = fitLinear(
          request.train,
          request.trainTargets,
          {
            task: request.task,
            classes: request.classes,
            l2: request.l2,
            maxIterations: request.maxIterations,
            onIteration: (iteration, loss, validationLoss) => {
              if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
              reply({
                seq: request.seq,
                type: 'progress',
                iteration,
                maxIterations: request.maxIterations,
                loss,
                validationLoss,
              });
            },
          },
          { design: request.validation, targets: request.validationTargets },
        );
        const cpu = process.cpuUsage(started);
        reply({ seq: request.seq, type: 'result', ...fit, cpuMs: (cpu.user + cpu.system) / 1000 });
        return;
      }
      case 'fit-gbdt': {
        const cancel = new Int32Array(request.cancel);
        const result = fitBoosting(request, request.params, (iteration, loss, validationLoss) => {
          if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
          reply({ seq: request.seq, type: 'progress', iteration, maxIterations: request.params.trees, loss, validationLoss });
        });
        const cpu = process.cpuUsage(started);
        reply({ seq: request.seq, type: 'trees', result, cpuMs: (cpu.user + cpu.system) / 1000 });
        return;
      }
      case 'fit-forest': {
        const cancel = new Int32Array(request.cancel);
        const result = fitForest({ ...request, validation: null }, request.params, (tree, oobLoss) => {
          if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
          reply({
            seq: request.seq,
            type: 'progress',
            iteration: tree,
            maxIterations: request.params.trees,
            loss: oobLoss ?? Number.NaN,
            validationLoss: null,
          });
        });
        const cpu = process.cpuUsage(started);
        reply({ seq: request.seq, type: 'forest', result, cpuMs: (cpu.user + cpu.system) / 1000 });
        return;
      }
      default:
        missingCase(request);
    }
  } catch (error) {
    reply({ seq: request.seq, type: 'error', error: serializeError(error) });
  }
});
