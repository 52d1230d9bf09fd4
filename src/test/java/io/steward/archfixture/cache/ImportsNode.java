package io.steward.archfixture.cache;

import io.steward.archfixture.node.NodeThing;

/** Bad: a module imports the node that deploys it (a call back up). */
public final class ImportsNode {
  NodeThing node;
}
