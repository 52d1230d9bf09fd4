package io.steward.archfixture.spi;

/** A class of the module SPI. */
public final class SpiThing {
}
