/**
 * The interactive menu, the counterpart of the seed's test_inference.py: numbered options
 * (1 normal, 2 extended, ...), a few questions where a mode needs them, then the run. Only
 * shown with no options on a terminal; scripts pass options and are never prompted.
 */
import { confirm, number, rawlist } from '@inquirer/prompts';
import { MODE_INFO, type Mode, type Settings } from './modes.js';

/** Streams and signal of the prompts (tests drive the menu through them). */
export type Context = Parameters<typeof rawlist>[1];

export interface MenuChoice {
  mode: Mode;
  given: Partial<Settings>;
}

const ORDER: Mode[] = ['normal', 'extended', 'stress', 'custom', 'alert-errors', 'alert-latency', 'alert-memory'];

/** One pass of the menu: the next run, or null when the operator chose Exit. */
export async function askMenu(target: string, context?: Context): Promise<MenuChoice | null> {
  const choice = await rawlist<Mode | 'exit'>(
    {
      message: `Spam detector traffic generator -> ${target}\nChoose an option`,
      choices: [
        ...ORDER.map((mode, i) => ({ value: mode, key: String(i + 1), name: MODE_INFO[mode].title })),
        { value: 'exit' as const, key: '0', name: 'Exit' },
      ],
    },
    context,
  );
  if (choice === 'exit') return null;
  const given: Partial<Settings> = {};
  const ask = async (message: string, def: number | undefined, min: number, max: number, step: number | 'any' = 1): Promise<number | undefined> =>
    number({ message, default: def, min, max, step, required: false }, context);
  const askPercent = async (message: string, def: number): Promise<number> => ((await ask(`${message} (%)`, def, 0, 100, 'any')) ?? def) / 100;

  switch (choice) {
    case 'stress':
      given.durationS = await ask('Duration (seconds)', 60, 1, 86_400);
      given.concurrency = await ask('Connections', 16, 1, 10_000);
      break;
    case 'custom': {
      given.count = await ask('Requests', 100, 1, 10_000_000);
      given.concurrency = await ask('Connections', 1, 1, 10_000);
      const rate = await ask('Requests per second (0 = as fast as possible)', 0, 0, 1_000_000, 'any');
      given.rate = rate === 0 ? undefined : rate;
      given.errorRatio = await askPercent('Malformed requests', 0);
      const spam = await ask('Spam share (%), empty for the held-out mix', undefined, 0, 100, 'any');
      given.spamRatio = spam === undefined ? undefined : spam / 100;
      given.batchSize = await ask('Texts per request', 1, 1, 100_000);
      given.feedbackRatio = await askPercent('Predictions that get feedback', 0);
      break;
    }
    case 'alert-errors':
    case 'alert-latency': {
      const go = await confirm({ message: `${MODE_INFO[choice].about}\nRun it now against ${target}?`, default: true }, context);
      if (!go) return askMenu(target, context);
      break;
    }
    default:
      break;
  }
  return { mode: choice, given };
}
