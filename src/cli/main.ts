#!/usr/bin/env node
/**
 * The `backprop` binary. Exit status: 0 success, 1 a failure during the run,
 * 2 bad usage or bad input, 130 interrupted by Ctrl-C (docs/design.md, "The
 * command line").
 *
 * @module
 */

import { main } from './program.js';

// A reader that stops early (`backprop train --help | head`) closes the pipe:
// that ends the output, quietly, as it does for any Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    process.stderr.write(
      `backprop: unexpected failure: ${String((err as Error)?.message ?? err).split('\n')[0]}\n`,
    );
    process.exitCode = 1;
  },
);
