package io.steward.spi;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * Puts a text value under its key unless one is there; answers the value already there, or null when it put it.
 * {@code IMap.putIfAbsent} blocks its caller (IMap has no asynchronous form), and a blocking call made every few
 * seconds on a Vert.x worker piles up while operations hang in a cluster in turmoil (campaign seed 2052: a bridge
 * partition, a pause and a kill; a periodic registry check blocked worker threads for minutes, 366 blocked-thread
 * warnings); {@code map.submitToKey(key, new PutIfAbsent(value))} holds no thread while it waits.
 */
public final class PutIfAbsent implements EntryProcessor<String, String, String>, DataSerializable {

  private static final long serialVersionUID = 1L;
  private String value;

  /** For deserialization only. */
  public PutIfAbsent() {
  }

  public PutIfAbsent(String value) {
    this.value = value;
  }

  @Override
  public String process(Map.Entry<String, String> entry) {
    String current = entry.getValue();
    if (current != null) {
      return current;
    }
    entry.setValue(value);
    return null;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(value);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    value = in.readString();
  }
}
