package io.steward.archfixture.store;

import io.steward.archfixture.spi.CycleSpi;

/** Bad, with CycleSpi: two packages that import each other. */
public final class CycleStore {
  CycleSpi other;
}
