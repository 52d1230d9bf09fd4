package io.steward.archfixture.node;

/** A class of the node, which deploys the modules. */
public final class NodeThing {
}
