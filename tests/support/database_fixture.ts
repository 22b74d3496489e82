/**
 * A Database for unit tests of the children's builders, plans and projections.
 *
 * @module
 */
import type { Database, DatabaseSpec } from "../../lib/database/types.ts";

/** Database "db" in namespace "ns" with uid "uid-1"; `spec` overrides fields of the spec. */
export function sampleDatabase(spec: Partial<DatabaseSpec> = {}): Database {
  return {
    apiVersion: "database.example.com/v1",
    kind: "Database",
    metadata: { name: "db", namespace: "ns", uid: "uid-1" },
    spec: {
      image: "postgres:14",
      replicas: 1,
      databaseName: "db1",
      username: "admin",
      storage: { size: "1Gi" },
      ...spec,
    },
  };
}
