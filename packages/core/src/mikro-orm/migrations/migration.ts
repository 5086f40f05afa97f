/**
 * A schema migration shipped by the kit: a name that sorts in application order and the SQL
 * statements that apply it. The kit records applied migrations in its own `kit_migrations` table
 * and never touches any other table.
 */
export abstract class KitMigration {
  /** Unique name; the order of application is the order of {@link kitMigrations}. */
  abstract readonly name: string;
  /** Statements applied in one transaction. */
  abstract up(): readonly string[];
}
