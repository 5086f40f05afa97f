import { execFileSync } from 'node:child_process';
import { EmbeddedPostgresError } from './error.ts';

// PostgreSQL refuses to run as root. When the demo, the example app, the bench or the tests run as
// root, the server runs as the `postgres` system user instead, and that user must reach both the
// binaries and the data. In a checkout inside a private directory (a container's /root, mode 700)
// it reaches neither: permissions.ts finds out, and staging.ts puts what it cannot reach where it
// can.

/**
 * The system account PostgreSQL runs as when the caller is root. Only the primary group counts:
 * when Node switches user for a child process, libuv drops the supplementary groups.
 */
export interface PostgresAccount {
  name: string;
  uid: number;
  gid: number;
}

/** Runs a command and returns its standard output; throws when it fails. */
export type RunCommand = (command: string, args: string[]) => string;

const runCommand: RunCommand = (command, args) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function lookUpAccount(name: string, run: RunCommand): PostgresAccount | undefined {
  try {
    const uid = Number(run('id', ['-u', name]).trim());
    const gid = Number(run('id', ['-g', name]).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0) return { name, uid, gid };
  } catch {
    // No such user.
  }
  return undefined;
}

/**
 * The `postgres` system account, created when missing (with Debian's `useradd`, else BusyBox's
 * `adduser`, as Alpine has). Throws an {@link EmbeddedPostgresError} when there is none and none can
 * be created.
 *
 * @param run runs a command (replaceable in tests)
 */
export function ensurePostgresAccount(name = 'postgres', run: RunCommand = runCommand): PostgresAccount {
  const existing = lookUpAccount(name, run);
  if (existing) return existing;
  const home = '/var/lib/postgresql';
  const ways: [string, string[]][][] = [
    [
      ['groupadd', ['--system', name]],
      [
        'useradd',
        [
          '--system',
          '--gid',
          name,
          '--home-dir',
          home,
          '--no-create-home',
          '--shell',
          '/usr/sbin/nologin',
          name,
        ],
      ],
    ],
    [
      ['addgroup', ['-S', name]],
      ['adduser', ['-S', '-D', '-H', '-h', home, '-s', '/sbin/nologin', '-G', name, name]],
    ],
  ];
  for (const steps of ways) {
    for (const [command, args] of steps) {
      try {
        run(command, args);
      } catch {
        // The group may exist already, or the tool may be missing: the look-up below decides.
      }
    }
    const created = lookUpAccount(name, run);
    if (created) return created;
  }
  throw new EmbeddedPostgresError(
    `PostgreSQL refuses to run as root and there is no "${name}" user to run it as, nor could useradd or adduser create one: create that user, run as another user than root, or set DATABASE_URL.`,
  );
}
