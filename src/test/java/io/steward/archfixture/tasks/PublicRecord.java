package io.steward.archfixture.tasks;

/** Bad: a public record's public nested type that is not on the surface (the record itself is not either). */
public record PublicRecord(Part part) {
  public record Part(int n) {
  }
}
