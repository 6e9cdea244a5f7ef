/** Reconnect delays: full jitter between min/2 and min/2 + an exponential ceiling capped at max. */
import t from 'tap';
import { reconnectDelayMs } from '../../../../services/inference/src/events/backoff.js';

t.test('the ceiling doubles per attempt up to the maximum', async (t) => {
  const top = (attempt: number): number => reconnectDelayMs(attempt, 50, 2000, () => 1);
  t.same([0, 1, 2, 3, 5, 6, 40].map(top), [75, 125, 225, 425, 1625, 2025, 2025]);
});

t.test('the floor is half the minimum', async (t) => {
  t.equal(reconnectDelayMs(7, 50, 2000, () => 0), 25);
});
