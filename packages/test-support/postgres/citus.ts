/**
 * Citus for the tests and the benchmarks: the nodes of a cluster, and a new database made usable
 * on all of them. Free of vitest, so the benchmarks can use it.
 *
 * @module
 */
import pg from 'pg';

/** `serverUrl` with its database replaced by `name`. */
export function onDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `run` on a client of its own connected to `url`, and closes it. */
export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** One primary node of a Citus cluster, as `pg_dist_node` lists it. */
export interface CitusNode {
  host: string;
  port: number;
  coordinator: boolean;
}

/** The Citus nodes of the admin database's cluster, or null when the server is not Citus. */
export async function citusNodes(admin: pg.Client): Promise<CitusNode[] | null> {
  const extension = await admin.query(`select 1 from pg_extension where extname = 'citus'`);
  if (extension.rowCount === 0) return null;
  const nodes = await admin.query<{ nodename: string; nodeport: number; groupid: number }>(
    `select nodename, nodeport, groupid from pg_dist_node where noderole = 'primary' and isactive order by groupid`,
  );
  return nodes.rows.map((row) => ({
    host: row.nodename,
    port: row.nodeport,
    coordinator: row.groupid === 0,
  }));
}

function onNode(serverUrl: string, node: CitusNode, name: string): string {
  const url = new URL(onDatabase(serverUrl, name));
  url.hostname = node.host;
  url.port = String(node.port);
  return url.toString();
}

/**
 * Makes a new database of a Citus cluster usable as one: Citus keeps its metadata per database, so
 * the extension goes into the new database on every node and the workers are added to it; then the
 * kit's tables are migrated and distributed with the kit's own functions. Also used by the
 * benchmarks (`pnpm --filter @kit/bench citus`).
 */
export async function prepareCitusDatabase(
  adminUrl: string,
  name: string,
  nodes: CitusNode[],
): Promise<void> {
  const coordinatorUrl = onDatabase(adminUrl, name);
  for (const node of nodes.filter((n) => !n.coordinator)) {
    await withClient(onNode(adminUrl, node, name), (c) => c.query('create extension if not exists citus'));
  }
  await withClient(coordinatorUrl, async (c) => {
    await c.query('create extension if not exists citus');
    const coordinator = nodes.find((n) => n.coordinator);
    if (coordinator)
      await c.query('select citus_set_coordinator_host($1, $2)', [coordinator.host, coordinator.port]);
    for (const node of nodes.filter((n) => !n.coordinator)) {
      await c.query('select citus_add_node($1, $2)', [node.host, node.port]);
    }
  });
  const { createKitOrm, distributeKitTables, migrate } = await import('@kit/core/mikro-orm');
  const orm = await createKitOrm({ databaseUrl: coordinatorUrl });
  try {
    await migrate(orm);
    await distributeKitTables(orm);
  } finally {
    await orm.close();
  }
}
