package io.steward.archfixture.schedule;

import io.vertx.core.internal.ContextInternal;

/** Bad: a module uses a Vert.x internal itself instead of through the adapter. */
public final class UsesVertxInternals {
  ContextInternal context;
}
