package io.steward.archfixture.spi;

import io.steward.archfixture.store.CycleStore;

/** Bad, with CycleStore: two packages that import each other. */
public final class CycleSpi {
  CycleStore other;
}
