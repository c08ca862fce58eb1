package dev.weft.model;

import java.util.List;
import java.util.Objects;

/**
 * A peer given by addresses: {@code cidr} less each {@code except} prefix. An except outside the
 * cidr excludes nothing (it overlaps no address of the block).
 */
public record IpBlock(IpPrefix cidr, List<IpPrefix> except) {
  public IpBlock {
    Objects.requireNonNull(cidr, "cidr");
    except = Values.list(except);
  }

  public boolean contains(String address) {
    if (!cidr.contains(address)) {
      return false;
    }
    for (IpPrefix e : except) {
      if (e.family() == cidr.family() && e.contains(address)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return except.isEmpty() ? cidr.toString() : cidr + " except " + except;
  }
}
