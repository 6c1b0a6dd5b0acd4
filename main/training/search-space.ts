import { learners } from './learners/index.js';
import { seededRandom } from '../stats/random.js';
import type { Candidate } from './train-args.js';

/**
 * Candidates for the search, seeded. First each learner with its defaults, then ten random draws, then a
 * tree-structured Parzen estimator (Bergstra et al., 2011) over the grid: the scored candidates are cut into the
 * best quarter and the rest, and among 24 draws from the best quarter's value frequencies the one with the
 * highest ratio of good to bad likelihood (per parameter, Laplace-smoothed, learner included) is tried next.
 * `scored` is read live: the search loop appends each candidate's score before asking for the next.
 */
export function* searchSpace(
  seed: number,
  scored: readonly { candidate: Candidate; score: number }[] = [],
  higherIsBetter = true,
): Generator<Candidate> {
  yield { algorithm: 'gbdt' };
  yield { algorithm: 'linear' };
  yield { algorithm: 'forest', trees: 100 };
  yield { algorithm: 'mlp' };
  const random = seededRandom(seed + 31);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)]!;
  const randomCandidate = (): Candidate => {
    const u = random();
    const algorithm = u < 0.5 ? 'gbdt' : u < 0.7 ? 'forest' : u < 0.85 ? 'mlp' : 'linear';
    return {
      algorithm,
      ...Object.fromEntries(Object.entries(learners[algorithm].searchGrid).map(([k, values]) => [k, pick(values)])),
    };
  };
  for (let i = 0; i < 10; i++) yield randomCandidate();
  const algorithms = ['gbdt', 'forest', 'linear', 'mlp'] as const;
  for (;;) {
    const ranked = [...scored].sort((a, b) => (higherIsBetter ? b.score - a.score : a.score - b.score));
    const cut = Math.max(1, Math.ceil(ranked.length / 4));
    const good = ranked.slice(0, cut).map((r) => r.candidate);
    const bad = ranked.slice(cut).map((r) => r.candidate);
    const likelihood = (group: Candidate[], key: string, value: unknown, choices: readonly unknown[]): number =>
      (group.filter((c) => (c as Record<string, unknown>)[key] === value).length + 1) / (group.length + choices.length);
    const sampleFrom = (group: Candidate[], key: string, choices: readonly unknown[]): unknown => {
      // Draw proportionally to the smoothed frequency of each value among `group`.
      const weights = choices.map((v) => likelihood(group, key, v, choices));
      let u = random() * weights.reduce((s, w) => s + w, 0);
      for (let i = 0; i < choices.length; i++) if ((u -= weights[i]!) <= 0) return choices[i];
      return choices[choices.length - 1];
    };
    let best: Candidate | null = null;
    let bestRatio = Number.NEGATIVE_INFINITY;
    for (let draw = 0; draw < 24; draw++) {
      const algorithm = sampleFrom(good, 'algorithm', algorithms) as Candidate['algorithm'];
      const candidate: Candidate = { algorithm };
      let ratio = Math.log(
        likelihood(good, 'algorithm', algorithm, algorithms) / likelihood(bad, 'algorithm', algorithm, algorithms),
      );
      const sameGood = good.filter((c) => c.algorithm === algorithm);
      const sameBad = bad.filter((c) => c.algorithm === algorithm);
      for (const [key, values] of Object.entries(learners[algorithm].searchGrid)) {
        const value = sampleFrom(sameGood, key, values);
        (candidate as Record<string, unknown>)[key] = value;
        ratio += Math.log(likelihood(sameGood, key, value, values) / likelihood(sameBad, key, value, values));
      }
      if (ratio > bestRatio) {
        bestRatio = ratio;
        best = candidate;
      }
    }
    yield best ?? randomCandidate();
  }
}
