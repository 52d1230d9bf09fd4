package io.steward.archfixture.http;

import io.steward.archfixture.edge.EdgeThing;

/** Allowed: a door (http) uses the edge. */
public final class UsesEdge {
  EdgeThing edge;
}
