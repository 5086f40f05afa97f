import { describe, expect, it } from 'vitest';
import { ensurePostgresAccount } from './account.ts';
import { EmbeddedPostgresError } from './error.ts';

describe('ensurePostgresAccount', () => {
  /** A stand-in for the system's commands: `id` knows the users that `useradd`/`adduser` made. */
  function system(tools: { useradd: boolean; adduser: boolean }) {
    const users = new Set<string>();
    const calls: string[] = [];
    const run = (command: string, args: string[]) => {
      calls.push(command);
      const name = args.at(-1) as string;
      if (command === 'id') {
        if (!users.has(name)) throw new Error(`id: '${name}': no such user`);
        return args[0] === '-u' ? '990\n' : '991\n';
      }
      if ((command === 'useradd' && tools.useradd) || (command === 'adduser' && tools.adduser))
        users.add(name);
      else if (command === 'useradd' || command === 'adduser') throw new Error(`${command}: not found`);
      return '';
    };
    return { run, calls };
  }

  it('creates the user with useradd when it is missing', () => {
    const { run, calls } = system({ useradd: true, adduser: false });
    expect(ensurePostgresAccount('postgres', run)).toEqual({ name: 'postgres', uid: 990, gid: 991 });
    expect(calls).toEqual(['id', 'groupadd', 'useradd', 'id', 'id']);
    // Found the next time, nothing created.
    calls.length = 0;
    ensurePostgresAccount('postgres', run);
    expect(calls).toEqual(['id', 'id']);
  });

  it("falls back to BusyBox's adduser", () => {
    const { run, calls } = system({ useradd: false, adduser: true });
    expect(ensurePostgresAccount('postgres', run).uid).toBe(990);
    expect(calls).toEqual(['id', 'groupadd', 'useradd', 'id', 'addgroup', 'adduser', 'id', 'id']);
  });

  it('says in one sentence what to do when no user can be made', () => {
    const { run } = system({ useradd: false, adduser: false });
    const error = (() => {
      try {
        ensurePostgresAccount('postgres', run);
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect(error?.message).toBe(
      'PostgreSQL refuses to run as root and there is no "postgres" user to run it as, nor could useradd or adduser create one: create that user, run as another user than root, or set DATABASE_URL.',
    );
  });
});
