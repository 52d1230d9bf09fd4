package io.steward.archfixture.tasks;

/** Good: package-private; its public nested class is visible only in the package, too. */
final class Internal {
  public static final class Nested {
  }
}
