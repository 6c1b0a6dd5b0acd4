import { parentPort } from 'node:worker_threads';
import { HearthError, serializeError, missingCase } from '../main/contracts/errors.js';
import { fitBoosting } from './gbdt/boost.js';
import { prestartHelpers } from './gbdt/histogram.js';
import { defaultFitThreads } from '../main/accel/worker-thread.js';
import { fitForest } from './gbdt/forest.js';
import { fitLinear } from './linear/fit-linear.js';
import { shapSummary } from '../main/models/treeshap.js';
import { dataChecks } from '../main/models/data-checks.js';
import type { FitMlpRequest, WorkerReply, WorkerRequest } from './protocol.js';

/** TensorFlow.js is loaded only by workers that fit an MLP: tree and linear fits do not pay its start-up. */
async function fitMlpRequest(request: FitMlpRequest): Promise<void> {
  const started = process.cpuUsage();
  try {
    const [{ selectBackend, gpuBackends }, { fitMlp, denseFromDesign }] = await Promise.all([
      import('./mlp/backend.js'),
      import('./mlp/fit-mlp.js'),
    ]);
    const backend = await selectBackend(undefined, request.backend ?? undefined, request.preferredBackend ?? undefined);
    const cancel = new Int32Array(request.cancel);
    const result = await fitMlp(
      {
        task: request.task,
        classes: request.classes,
        train: denseFromDesign(request.train),
        trainTargets: request.trainTargets,
        validation: request.validation === null ? null : denseFromDesign(request.validation),
        validationTargets: request.validationTargets,
      },
      request.params,
      (epoch, loss, validationLoss) =>
        reply({
          seq: request.seq,
          type: 'progress',
          iteration: epoch,
          maxIterations: request.params.epochs,
          loss,
          validationLoss,
        }),
      () => {
        if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
      },
      gpuBackends.has(backend.name),
    );
    const cpu = process.cpuUsage(started);
    reply({ seq: request.seq, type: 'mlp', result, backend, cpuMs: (cpu.user + cpu.system) / 1000 });
  } catch (error) {
    reply({ seq: request.seq, type: 'error', error: serializeError(error) });
  }
}

/** Training worker: runs one fit at a time off the engine's event loop and streams progress back. */
const port = parentPort;
if (port === null) throw new Error('train-worker must run as a worker thread');
// A tree fit's helper threads start now, while the engine loads and splits the table (histogram.ts).
prestartHelpers(defaultFitThreads() - 1);

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'fit-mlp') {
    void fitMlpRequest(request);
    return;
  }
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
            deadline: request.deadline,
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
      case 'shap-summary': {
        const summary = shapSummary(request.model, request.raw);
        const cpu = process.cpuUsage(started);
        reply({ seq: request.seq, type: 'shap', summary, cpuMs: (cpu.user + cpu.system) / 1000 });
        return;
      }
      case 'data-checks': {
        const { targets } = request;
        const warnings = dataChecks(request.frame, request.target, request.task, request.train, request.test, (r) => targets[r]!);
        const cpu = process.cpuUsage(started);
        reply({ seq: request.seq, type: 'checks', warnings, cpuMs: (cpu.user + cpu.system) / 1000 });
        return;
      }
      default:
        missingCase(request);
    }
  } catch (error) {
    reply({ seq: request.seq, type: 'error', error: serializeError(error) });
  }
});
