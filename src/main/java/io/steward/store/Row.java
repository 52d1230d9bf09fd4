package io.steward.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * One entry of a persisted map as the database holds it. Exactly one of {@code text} (a String value) and
 * {@code bytes} (any other value, Hazelcast-serialized) is set, both null for a delete.
 *
 * @param expiresAt epoch ms after which the entry is gone, or null for never
 * @param updatedAt when this version was written (epoch ms)
 */
record Row(String map, String key, String text, byte[] bytes, Long expiresAt, long updatedAt) {

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  });

  static Row delete(String map, String key, long now) {
    return new Row(map, key, null, null, null, now);
  }

  boolean isDelete() {
    return text == null && bytes == null;
  }

  /** The primary-key hash of a key: the first 16 bytes of its SHA-256 (keys can be too long for an index). */
  static byte[] hash(String key) {
    MessageDigest d = SHA256.get();
    d.reset();
    return Arrays.copyOf(d.digest(key.getBytes(StandardCharsets.UTF_8)), 16);
  }

  byte[] hash() {
    return hash(key);
  }

  @Override
  public String toString() {
    return map + "/" + key + (isDelete() ? " (delete)" : "");
  }
}
