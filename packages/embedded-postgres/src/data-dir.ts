import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PostgresAccount } from './account.ts';
import { describeFileError, EmbeddedPostgresError } from './error.ts';
import { describeUntrusted, findBlockedDirectory, findUntrustedPath, trustedOwners } from './permissions.ts';
import { relocatedDataDir } from './staging.ts';
import type { EmbeddedDatabase } from './types.ts';

/** `dataDir`, or where it points when it is a symbolic link (even to a directory not made yet). */
function followLink(dataDir: string): string {
  const stats = lstatSync(dataDir, { throwIfNoEntry: false });
  return stats?.isSymbolicLink() ? resolve(dirname(dataDir), readlinkSync(dataDir)) : dataDir;
}

/**
 * As root, `dataDir` when only root controls it, else a refusal. Root creates the data directory,
 * hands it to the `postgres` user and writes the password file beside it: had another user
 * control of a directory on the way (a checkout that user owns, say, run with sudo), they could
 * plant a symbolic link there and have root hand over, or overwrite, any directory or file. So
 * every directory on the way must be root's (or this process's user's) and closed to others (or
 * sticky), a link at `dataDir` must be root's too and may only point where the demo itself put the
 * data (a directory directly under the staging root's `data`), and a directory at `dataDir` must be
 * root's or the `postgres` user's (an earlier run's cluster).
 */
function checkDataDirAsRoot(dataDir: string, account: PostgresAccount, stagingRoot: () => string): string {
  const parent = dirname(dataDir);
  const untrusted = findUntrustedPath(parent);
  const refuse = (why: string) =>
    new EmbeddedPostgresError(
      `As root, the embedded PostgreSQL does not use ${dataDir}, because ${why}: run it as the user who owns the checkout, or set DATABASE_URL.`,
    );
  if (untrusted) {
    throw refuse(
      `${untrusted} ${describeUntrusted(untrusted)}, so another user could point it at a directory or file root would then hand over or overwrite`,
    );
  }
  const stats = lstatSync(dataDir, { throwIfNoEntry: false });
  if (!stats) return dataDir;
  if (stats.isSymbolicLink()) {
    if (!trustedOwners().includes(stats.uid)) {
      throw refuse(`it is a symbolic link that belongs to another user (uid ${stats.uid})`);
    }
    const target = followLink(dataDir);
    const dataRoot = join(stagingRoot(), 'data');
    if (dirname(target) !== dataRoot) {
      throw new EmbeddedPostgresError(
        `As root, the embedded PostgreSQL follows the symbolic link ${dataDir} only to the directory it made for the data under ${dataRoot}, not to ${target}: remove the link (to keep the data elsewhere, set KIT_EMBEDDED_PG_DIR to a directory owned by root there), or set DATABASE_URL.`,
      );
    }
    const targetStats = lstatSync(target, { throwIfNoEntry: false });
    if (targetStats && !targetStats.isDirectory()) {
      throw refuse(`it links to ${target}, which is not a directory`);
    }
    return target;
  }
  if (stats.isDirectory() && ![...trustedOwners(), account.uid].includes(stats.uid)) {
    throw refuse(`it belongs to another user (uid ${stats.uid})`);
  }
  return dataDir;
}

/**
 * Refuses an existing `dataDir` that holds something but no PostgreSQL cluster, before root hands
 * it to the `postgres` user: it is not the kit's to give away (nor to delete).
 */
function refuseForeignContent(dataDir: string): void {
  const stats = lstatSync(dataDir, { throwIfNoEntry: false });
  if (!stats || existsSync(join(dataDir, 'PG_VERSION'))) return;
  if (!stats.isDirectory() || readdirSync(dataDir).length > 0) {
    throw new EmbeddedPostgresError(`${dataDir} holds no PostgreSQL cluster but is not empty: remove it.`);
  }
}

/**
 * As root, where the data can live: `dataDir` when the postgres user can reach it, otherwise a
 * directory under the staging root, which a persistent `dataDir` then links to.
 */
export function placeData(
  dataDir: string,
  persistent: boolean,
  account: PostgresAccount,
  stagingRoot: () => string,
): { dataDir: string; relocated?: EmbeddedDatabase['relocated'] } {
  const target = checkDataDirAsRoot(dataDir, account, stagingRoot);
  refuseForeignContent(target);
  mkdirSync(dirname(target), { recursive: true });
  const blockedAt = findBlockedDirectory(dirname(target), account);
  if (!blockedAt) {
    // A link made by an earlier run: still say why the data is not in the checkout.
    const linkBlockedAt = target === dataDir ? undefined : findBlockedDirectory(dirname(dataDir), account);
    return {
      dataDir: target,
      ...(linkBlockedAt ? { relocated: { requested: dataDir, blockedAt: linkBlockedAt } } : {}),
    };
  }
  const why = `the ${account.name} user the server runs as cannot enter ${blockedAt}`;
  if (target !== dataDir) {
    throw new EmbeddedPostgresError(
      `${dataDir} links to ${target}, but ${why}: link it to a directory that user can reach, or remove the link.`,
    );
  }
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    // As root a link is followed only to the directory made for it under the staging root: name it.
    throw new EmbeddedPostgresError(
      `The PostgreSQL data in ${dataDir} cannot be used as root, because ${why}: move it to ${relocatedDataDir(stagingRoot(), dataDir)} and leave a symbolic link to it in its place, or run as another user.`,
    );
  }
  if (existsSync(dataDir)) {
    // An empty directory (as an earlier failed start left): the pointer takes its place.
    rmdirSync(dataDir);
  }
  const relocated = relocatedDataDir(stagingRoot(), dataDir);
  refuseForeignContent(relocated);
  if (persistent) {
    try {
      symlinkSync(relocated, dataDir);
    } catch (error) {
      // Another start in the same checkout made the same link a moment ago.
      if (
        !lstatSync(dataDir, { throwIfNoEntry: false })?.isSymbolicLink() ||
        readlinkSync(dataDir) !== relocated
      ) {
        throw new EmbeddedPostgresError(
          `Could not link ${dataDir} to ${relocated}: ${describeFileError(error)}.`,
        );
      }
    }
  }
  return { dataDir: relocated, relocated: { requested: dataDir, blockedAt } };
}
