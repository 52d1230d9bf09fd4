package io.steward.store;

/** What differs between the two databases: the upsert statement and where the migrations are. */
enum Dialect {

  H2("db/steward/h2",
    "MERGE INTO steward_entries (map_name, key_hash, entry_key, value_text, value_bytes, expires_at, updated_at) "
      + "KEY (map_name, key_hash) VALUES (?, ?, ?, ?, ?, ?, ?)"),

  POSTGRES("db/steward/postgres",
    "INSERT INTO steward_entries (map_name, key_hash, entry_key, value_text, value_bytes, expires_at, updated_at) "
      + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (map_name, key_hash) DO UPDATE SET entry_key = EXCLUDED.entry_key, "
      + "value_text = EXCLUDED.value_text, value_bytes = EXCLUDED.value_bytes, expires_at = EXCLUDED.expires_at, "
      + "updated_at = EXCLUDED.updated_at");

  final String migrations;
  final String upsert;

  Dialect(String migrations, String upsert) {
    this.migrations = migrations;
    this.upsert = upsert;
  }

  static Dialect of(StoreConfig.Kind kind) {
    return switch (kind) {
      case EMBEDDED -> H2;
      case POSTGRES -> POSTGRES;
      case NONE -> throw new IllegalArgumentException("no database with store.kind none");
    };
  }
}
