package dev.weft.control;

import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;

/**
 * A route in a routing instance.
 *
 * @param origin the network whose route it is: the routing instance's own network, or the network
 *     it was leaked from
 */
public record Route(IpPrefix prefix, NextHop nextHop, FqName origin) {}
