import type { SingleModel } from '../../models/ensemble-model.js';
import type { Algorithm } from '../train-args.js';
import type { Learner } from './learner.js';
import { linearLearner } from './linear.js';
import { mlpLearner } from './mlp.js';
import { forestLearner, gbdtLearner } from './trees.js';

export type { FitInput, FitReply, Learner, LearnerFit, LearnerHost } from './learner.js';

/** Every learner by name: a Record over the union, so adding an algorithm without its learner does not compile. */
export const learners: Record<Algorithm, Learner> = {
  linear: linearLearner,
  gbdt: gbdtLearner,
  forest: forestLearner,
  mlp: mlpLearner,
};

/** The learner that fitted a model. */
export function learnerOf(model: SingleModel): Learner {
  switch (model.format) {
    case 'hearth.trees/1':
      return learners[model.algorithm];
    case 'hearth.linear/1':
      return learners.linear;
    case 'hearth.mlp/1':
      return learners.mlp;
  }
}
