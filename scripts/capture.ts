/**
 * npm run capture -- <command>: the captured texts (CAPTURE_DIR, docs/capture.md).
 *   export --out FILE [--include-unlabelled] [--dir DIR]   JSON Lines for `npm run train -- --data FILE`
 *   purge [--dir DIR]                                      delete every capture file
 * The directory defaults to CAPTURE_DIR. Exit code 2: bad usage; 1: the command failed.
 */
import { parseArgs } from 'node:util';
import { exportCapture, purgeCapture } from '../services/inference/src/capture/export.js';

const USAGE = `usage: npm run capture -- export --out FILE [--include-unlabelled] [--dir DIR]
       npm run capture -- purge [--dir DIR]
The directory defaults to CAPTURE_DIR.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      dir: { type: 'string' },
      'include-unlabelled': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [command, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const dir = values.dir ?? process.env.CAPTURE_DIR;
  if (dir === undefined || dir.trim() === '') throw new UsageError('no capture directory: set CAPTURE_DIR or pass --dir');
  if (command === 'export') {
    if (values.out === undefined) throw new UsageError('export needs --out FILE');
    const r = await exportCapture({ dir, out: values.out, includeUnlabelled: values['include-unlabelled'] });
    process.stdout.write(
      `wrote ${r.written} lines to ${values.out} (mode 0600): ${r.labelled} labelled of ${r.predictions} captured predictions in ${r.files} files` +
        `${values['include-unlabelled'] ? `, ${r.written - r.labelled} unlabelled (label null)` : ''}` +
        `${r.skippedLines > 0 ? `; skipped ${r.skippedLines} unreadable lines` : ''}\n`,
    );
  } else if (command === 'purge') {
    const n = await purgeCapture(dir);
    process.stdout.write(`deleted ${n} capture files from ${dir}\n`);
  } else {
    throw new UsageError(command === undefined ? 'no command' : `unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`capture: ${err instanceof Error ? err.message : String(err)}\n${usage ? `${USAGE}\n` : ''}`);
  process.exitCode = usage ? 2 : 1;
});
