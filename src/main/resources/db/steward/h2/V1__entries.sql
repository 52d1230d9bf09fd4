-- Steward's durable state (docs/durability.md): one row per entry of a persisted Hazelcast map.
-- The key is hashed for the primary key (keys may be long); entry_key keeps it readable.
-- A value is text (JSON: task records, jobs) or bytes (Hazelcast-serialized, e.g. cache values).
-- expires_at: epoch ms after which the entry is gone (null: never); such rows are skipped when loading
-- and purged by the nodes.
CREATE TABLE steward_entries (
  map_name    CHARACTER VARYING(255) NOT NULL,
  key_hash    BINARY(16)             NOT NULL,
  entry_key   CHARACTER VARYING      NOT NULL,
  value_text  CHARACTER LARGE OBJECT,
  value_bytes BINARY LARGE OBJECT,
  expires_at  BIGINT,
  updated_at  BIGINT                 NOT NULL,
  CONSTRAINT steward_entries_pk PRIMARY KEY (map_name, key_hash)
);

CREATE INDEX steward_entries_expires ON steward_entries (expires_at);

-- One row: the identity of this database, which every full member of a cluster must share.
CREATE TABLE steward_store_info (
  id         INT                   NOT NULL PRIMARY KEY,
  store_id   CHARACTER VARYING(36) NOT NULL,
  created_at BIGINT                NOT NULL
);
