package dev.weft.control;

import dev.weft.model.FqName;
import java.util.List;
import java.util.Map;

/**
 * A routing instance (VRF), one per virtual network, named after it. Read it only inside {@link
 * Compiler#read}: it is a view of state the compiler keeps changing.
 */
public interface Vrf {
  FqName network();

  /**
   * The networks whose routes are leaked into this one, each with the policies that join them
   * (attached to both networks, with a pass rule naming both), sorted by network.
   */
  Map<FqName, List<FqName>> imports();

  Acl acl();

  /**
   * The network's route targets: when it has any, a gateway router imports its routes, so its
   * addresses (floating IPs above all) are reachable from outside the cluster.
   */
  List<String> routeTargets();

  /**
   * Longest-prefix match over this network's own routes and those leaked into it; on equal length
   * the network's own route wins, then the first leaking network in name order. Null: no route.
   */
  Route lookup(String address);

  /** Every route of the instance: its own, then leaked ones, each sorted by prefix. */
  List<Route> routes();
}
