/**
 * A child for child-process.test.ts. `CHILD_MODE=crash` prints a line and exits 3 before it is
 * ready; `CHILD_MODE=plain` only prints `listening on http://127.0.0.1:4321` and runs until a
 * signal ends it; otherwise it is ready with `{ port: 1234 }` and answers `echo` (its payload
 * back) and `fail` (an error with a code and a message holding a secret), and prints `stopped` on
 * stop.
 */
import { answerParent } from './child-process.ts';

if (process.env.CHILD_MODE === 'crash') {
  console.error('cannot start: no database');
  process.exit(3);
}
if (process.env.CHILD_MODE === 'plain') {
  console.log('listening on http://127.0.0.1:4321');
  setInterval(() => undefined, 1000);
} else {
  console.log('starting');
  answerParent({
    ready: { port: 1234 },
    handlers: {
      echo: ({ text }) => text,
      fail: () => {
        throw Object.assign(new Error('token kit_rt_secret refused'), { code: 'ERR_TEST' });
      },
    },
    stop: () => console.log('stopped'),
  });
}
