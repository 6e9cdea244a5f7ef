/**
 * Seeded randomness for the traffic generator. Every random choice of a run (which message,
 * which malformed kind, which prediction gets feedback) comes from one generator seeded by
 * --seed, so the same seed replays the same request sequence.
 */
import { mersenne } from 'pure-rand/generator/mersenne';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [min, max] (both included). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  // Mersenne Twister: xoroshiro128+ from pure-rand gives ~1.0 as its first float for every small
  // seed (measured), which would make the first request of every run the same kind.
  const gen = mersenne(seed);
  const rng: Rng = {
    float: () => uniformFloat64(gen),
    int: (min, max) => uniformInt(gen, min, max),
    // p = 0 and p = 1 must not consume a draw differently from other values, so the sequence
    // of later choices does not depend on whether a ratio happened to be 0.
    chance: (p) => uniformFloat64(gen) < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('cannot pick from an empty list');
      return items[uniformInt(gen, 0, items.length - 1)] as (typeof items)[number];
    },
  };
  return rng;
}

/** A fresh seed when the operator gave none; it is printed in the summary so the run can be replayed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
