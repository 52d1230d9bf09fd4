package io.steward.archfixture.tasks;

import io.steward.archfixture.edge.EdgeThing;

/** Bad: a module that is no door (tasks) imports the edge. */
public final class ImportsEdge {
  EdgeThing edge;
}
