package io.steward.archfixture.bus;

import io.steward.archfixture.spi.SpiThing;

/** Bad: the message contract (bus) imports something of Steward's. */
public final class ImportsSpi {
  SpiThing spi;
}
