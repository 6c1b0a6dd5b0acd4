import type { PredictionMatrix } from '../models/linear-model.js';
import type { TrainedModel } from '../models/model.js';
import type { Candidate } from './train-args.js';

/** A candidate's out-of-fold predictions with the score it ranks by. */
export interface KeptOutOfFold {
  candidate: Candidate;
  score: number;
  oof: PredictionMatrix;
}

/**
 * The out-of-fold predictions a search keeps: the best eight candidates' (ensemble selection's pool; their last fold
 * models too, to measure a blend as a whole), and apart from them the best eight linear candidates'. The one-standard-
 * error rule can choose a linear candidate ranked far below the leader, behind a row of boosted and network
 * candidates, and the chosen model is calibrated (and its threshold tuned) on its own out-of-fold predictions.
 */
export class OutOfFoldStore {
  /** Best first. */
  readonly best: KeptOutOfFold[] = [];
  private readonly linear: KeptOutOfFold[] = [];
  private readonly foldModels = new Map<Candidate, TrainedModel>();

  constructor(
    /** Negative when a ranks ahead of b. */
    private readonly better: (a: number, b: number) => number,
    private readonly size = 8,
  ) {}

  keep(candidate: Candidate, score: number, oof: PredictionMatrix, foldModel: TrainedModel | null): void {
    const kept = { candidate, score, oof };
    this.insert(this.best, kept);
    if (candidate.algorithm === 'linear') this.insert(this.linear, kept);
    if (foldModel !== null && this.best.includes(kept)) this.foldModels.set(candidate, foldModel);
    // Only the best candidates' fold models can join a blend: the others' are let go.
    for (const c of this.foldModels.keys()) if (!this.best.some((k) => k.candidate === c)) this.foldModels.delete(c);
  }

  private insert(list: KeptOutOfFold[], kept: KeptOutOfFold): void {
    list.push(kept);
    list.sort((a, b) => this.better(a.score, b.score));
    list.length = Math.min(list.length, this.size);
  }

  /** A candidate's out-of-fold predictions, where they were kept. */
  of(candidate: Candidate): PredictionMatrix | undefined {
    return (this.best.find((k) => k.candidate === candidate) ?? this.linear.find((k) => k.candidate === candidate))?.oof;
  }

  /** The last fold model of one of the best candidates. */
  foldModel(candidate: Candidate): TrainedModel | undefined {
    return this.foldModels.get(candidate);
  }
}
