/** The {@code weft} command: runs Weft ({@code up}) and drives a running one over its API. */
package dev.weft.cli;
