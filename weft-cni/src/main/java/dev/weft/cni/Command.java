package dev.weft.cni;

/** A CNI operation, from {@code CNI_COMMAND}. */
public enum Command {
  ADD,
  DEL,
  CHECK,
  STATUS,
  GC,
  VERSION
}
