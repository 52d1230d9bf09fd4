package io.steward.archfixture.spi;

import io.vertx.core.internal.ContextInternal;

/** Allowed: the adapter uses the Vert.x internal. */
public final class VertxInternals {
  ContextInternal context;
}
