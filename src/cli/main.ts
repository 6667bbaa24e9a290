#!/usr/bin/env node
/**
 * The `backprop` binary. Exit status: 0 success, 1 a failure during the run,
 * 2 bad usage or bad input (SPEC section 6), 130 interrupted by Ctrl-C.
 *
 * @module
 */

import { main } from './program.js';

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
