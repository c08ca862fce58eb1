package dev.weft.cni;

import java.util.Map;

/**
 * One validated invocation of the plugin: the command, the {@code CNI_*} environment and the
 * network configuration.
 *
 * @param command the operation
 * @param containerId {@code CNI_CONTAINERID}; null for STATUS and GC
 * @param netns {@code CNI_NETNS}; null when not given (optional for DEL, absent for STATUS and GC)
 * @param ifName {@code CNI_IFNAME}; null for STATUS and GC
 * @param args {@code CNI_ARGS} parsed, every key kept in order
 * @param path {@code CNI_PATH}; null when not given
 * @param conf the network configuration
 */
public record CniCall(
    Command command,
    String containerId,
    String netns,
    String ifName,
    Map<String, String> args,
    String path,
    NetConf conf) {}
