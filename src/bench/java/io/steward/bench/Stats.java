package io.steward.bench;

import java.util.Arrays;

/** Percentiles of a sample. */
public final class Stats {

  private final double[] sorted;

  public Stats(double[] values) {
    this.sorted = values.clone();
    Arrays.sort(sorted);
  }

  public static Stats of(long[] values) {
    return new Stats(Arrays.stream(values).asDoubleStream().toArray());
  }

  public double p(double percentile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  public double median() {
    return p(50);
  }

  public double min() {
    return sorted.length == 0 ? Double.NaN : sorted[0];
  }

  public double max() {
    return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
  }
}
