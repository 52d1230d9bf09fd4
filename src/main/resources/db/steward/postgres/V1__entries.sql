-- Steward's durable state (docs/durability.md): one row per entry of a persisted Hazelcast map.
-- The key is hashed for the primary key (keys may be longer than a btree entry allows); entry_key keeps it
-- readable. A value is text (JSON: task records, jobs) or bytes (Hazelcast-serialized, e.g. cache values).
-- expires_at: epoch ms after which the entry is gone (null: never); such rows are skipped when loading
-- and purged by the nodes.
CREATE TABLE steward_entries (
  map_name    TEXT   NOT NULL,
  key_hash    BYTEA  NOT NULL,
  entry_key   TEXT   NOT NULL,
  value_text  TEXT,
  value_bytes BYTEA,
  expires_at  BIGINT,
  updated_at  BIGINT NOT NULL,
  CONSTRAINT steward_entries_pk PRIMARY KEY (map_name, key_hash)
);

CREATE INDEX steward_entries_expires ON steward_entries (expires_at) WHERE expires_at IS NOT NULL;

-- One row: the identity of this database, which every full member of a cluster must share.
CREATE TABLE steward_store_info (
  id         INT    NOT NULL PRIMARY KEY,
  store_id   TEXT   NOT NULL,
  created_at BIGINT NOT NULL
);
