package io.steward.workflows;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The backup side of an entry processor that decides from what the owner holds: it gives the backup exactly the
 * value the owner has after the processor ran, rather than run the decision again on the backup's copy (which may be
 * missing a write whose acknowledgement never came: the decision would then differ, and the copies with it).
 */
final class Mirror implements EntryProcessor<String, String, Object> {
  /** {@link #ttlMs}: leave the entry's expiry as it is on the backup. */
  static final long KEEP_EXPIRY = -1;
  private static final long serialVersionUID = 1L;
  private final String value;
  private final long ttlMs;

  /** {@code value} null: the entry is removed; {@code ttlMs} 0: no expiry, {@link #KEEP_EXPIRY}: unchanged. */
  Mirror(String value, long ttlMs) {
    this.value = value;
    this.ttlMs = ttlMs;
  }

  @Override
  public Object process(Map.Entry<String, String> entry) {
    if (value == null) {
      entry.setValue(null);
    } else if (ttlMs == KEEP_EXPIRY) {
      ((ExtendedMapEntry<String, String>) entry).setValueWithoutChangingExpiryTime(value);
    } else {
      ((ExtendedMapEntry<String, String>) entry).setValue(value, ttlMs, TimeUnit.MILLISECONDS);
    }
    return null;
  }

  @Override
  public EntryProcessor<String, String, Object> getBackupProcessor() {
    return null;
  }
}
