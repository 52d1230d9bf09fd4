/**
 * Deliberately bad classes, one per broken rule, for io.steward.ArchitectureTest to prove that each of its rules
 * fails on a violation. A miniature of Steward's package tree; test code only, never on the main classpath.
 */
package io.steward.archfixture;
