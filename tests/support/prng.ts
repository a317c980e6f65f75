/** A seeded random number generator, so a failing run can be replayed from its seed. */
export type Rng = () => number;

/** mulberry32, the one the drills sample with (src/core/drill-sample.ts): returns [0, 1). */
export { seededRandom as mulberry32 } from '../../src/core/drill-sample';
