import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/engine.js';
import { modelInputs } from '../models/model.js';
import { toPredictions } from '../models/predictor.js';
import { rawInputsFromRecords } from '../models/preprocess.js';

/**
 * Whether this box can answer for every model it follows (`/readyz`): each followed alias pulled, its version loaded
 * and answering a probe prediction. The reasons are counts only: /readyz is public like /healthz, and tells an
 * unauthenticated caller no more than /healthz does (no model, alias, version or registry); `sync.status` names them
 * to a caller with a token.
 */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** One probe row: every input missing, which every model answers (missing values are imputed, as in serving). */
async function probe(engine: Engine, model: string, version: number): Promise<'answers' | 'not-loaded' | 'no-answer'> {
  let predictor;
  try {
    predictor = await engine.predictors.get(model, version);
  } catch {
    return 'not-loaded';
  }
  try {
    // Straight to the predictor, not models.predict: a probe is not a prediction anyone asked for, so it is neither
    // logged nor counted in the serving metrics.
    const raw = rawInputsFromRecords({ features: modelInputs(predictor.stored) }, [{}]);
    const answers = toPredictions(await predictor.run(raw), predictor.threshold);
    return answers.length === 1 ? 'answers' : 'no-answer';
  } catch {
    return 'no-answer';
  }
}

export async function readiness(engine: Engine): Promise<Readiness> {
  const follows = engine.sync.listFollows();
  let notPulled = 0;
  let notLoaded = 0;
  let noAnswer = 0;
  for (const f of follows) {
    let version: number;
    try {
      if (f.localVersion === null) throw new Error('not pulled');
      version = engine.registry.resolve(f.model, f.alias);
    } catch {
      notPulled++;
      continue;
    }
    const outcome = await probe(engine, f.model, version);
    if (outcome === 'not-loaded') notLoaded++;
    else if (outcome === 'no-answer') noAnswer++;
  }
  const of = `of ${follows.length} followed`;
  const reasons = [
    ...(notPulled > 0 ? [`${notPulled} ${of} not pulled yet`] : []),
    ...(notLoaded > 0 ? [`${notLoaded} ${of} pulled but not loading`] : []),
    ...(noAnswer > 0 ? [`${noAnswer} ${of} loaded but not answering a probe prediction`] : []),
  ];
  return { ready: reasons.length === 0, reasons };
}

/** How long one answer of /readyz is reused: a flood of unauthenticated probes costs one check a second. */
const reuseMs = 1000;

/**
 * `GET /readyz`: 200 {status: 'ready'} or 503 {status: 'not-ready', reasons}; public (http-server publicRoutes).
 * `gate` is a host's own condition (a standby's first restore), a reason while it is not met.
 */
export function installReadiness(app: FastifyInstance, engine: Engine, gate: () => string | null = () => null): void {
  let last: { at: number; answer: Promise<Readiness> } | null = null;
  app.get('/readyz', async (_request, reply) => {
    const waiting = gate();
    if (waiting !== null) return reply.status(503).send({ status: 'not-ready', reasons: [waiting] });
    if (last === null || Date.now() - last.at > reuseMs) last = { at: Date.now(), answer: readiness(engine) };
    const { ready, reasons } = await last.answer;
    return ready ? { status: 'ready' } : reply.status(503).send({ status: 'not-ready', reasons });
  });
}
