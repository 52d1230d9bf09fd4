package io.steward.archfixture.edge;

/** A class of the edge (tokens, key stores, bridge permissions). */
public final class EdgeThing {
}
