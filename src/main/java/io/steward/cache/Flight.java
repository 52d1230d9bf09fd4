package io.steward.cache;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Arrays;

/**
 * The marker {@code getOrCompute} keeps in a cache's computing map while one node computes a key: who
 * claimed it ({@code claimId}, {@code claimer} node) and which other nodes wait for the result (node id and
 * the token of their local wait). Its TTL is the computation's timeout, so a claimer that dies silently is
 * forgotten. A marker with a {@code failure} code is a remembered failure (negative caching).
 *
 * <p>Immutable; {@link DataSerializable}.
 */
final class Flight implements DataSerializable {

  private String claimId;
  private String claimer;
  private String[] waiters; // node, token, node, token, ...
  private int failure;
  private String message;

  /** For deserialization only. */
  public Flight() {
  }

  private Flight(String claimId, String claimer, String[] waiters, int failure, String message) {
    this.claimId = claimId;
    this.claimer = claimer;
    this.waiters = waiters;
    this.failure = failure;
    this.message = message;
  }

  static Flight claimed(String claimId, String claimer, String[] waiters) {
    return new Flight(claimId, claimer, waiters, 0, null);
  }

  static Flight failed(int failure, String message) {
    return new Flight("", "", new String[0], failure, message);
  }

  String claimId() {
    return claimId;
  }

  String claimer() {
    return claimer;
  }

  boolean isFailure() {
    return failure != 0;
  }

  int failure() {
    return failure;
  }

  String message() {
    return message;
  }

  /** Waiting nodes and their tokens, flattened: node, token, node, token, … */
  String[] waiters() {
    return waiters.clone();
  }

  /** This marker with one more waiting node (or its token replaced, if it already waits). */
  Flight withWaiter(String node, String token) {
    for (int i = 0; i < waiters.length; i += 2) {
      if (waiters[i].equals(node)) {
        String[] w = waiters.clone();
        w[i + 1] = token;
        return new Flight(claimId, claimer, w, failure, message);
      }
    }
    String[] w = Arrays.copyOf(waiters, waiters.length + 2);
    w[waiters.length] = node;
    w[waiters.length + 1] = token;
    return new Flight(claimId, claimer, w, failure, message);
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(claimId);
    out.writeString(claimer);
    out.writeStringArray(waiters);
    out.writeInt(failure);
    out.writeString(message);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    claimId = in.readString();
    claimer = in.readString();
    waiters = in.readStringArray();
    failure = in.readInt();
    message = in.readString();
  }

  @Override
  public String toString() {
    return isFailure() ? "failed(" + failure + ": " + message + ")" : "claimed(" + claimId + " by " + claimer
      + ", waiters " + Arrays.toString(waiters) + ")";
  }
}
