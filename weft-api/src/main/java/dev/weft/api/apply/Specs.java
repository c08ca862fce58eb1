package dev.weft.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.weft.api.config.ApiException;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import dev.weft.model.RouteTargets;
import dev.weft.model.Subnet;
import java.util.List;

/** Strict parsing of the {@code spec} of each weft/v1 kind into model values. */
final class Specs {
  private Specs() {}

  /**
   * A VirtualNetwork's spec.
   *
   * @param policies {@code spec.networkPolicies}: the complete list of policies the network links,
   *     in order (link {@code i} gets sequence {@code i}). Applying the document replaces every
   *     link of the network, including links a NetworkPolicy document's {@code spec.networks} made;
   *     absent means none. Manage one link from one side.
   */
  record NetworkSpec(List<Subnet> subnets, List<String> routeTargets, List<FqName> policies) {}

  /**
   * A NetworkPolicy's spec.
   *
   * @param networks {@code spec.networks}: when given, the complete set of networks linking this
   *     policy, networks Weft derives from Kubernetes included. Applying the document links it to
   *     each of them and unlinks it from every other network (links made by a VirtualNetwork
   *     document's {@code spec.networkPolicies} too); the other links of those networks are left
   *     alone. Null when absent: the policy's links are left as they are, so re-applying a policy
   *     attached from the networks' side keeps its attachments. {@code []} unlinks it everywhere.
   * @param sequence {@code spec.sequence}, the sequence of every link {@code networks} makes (a
   *     network applies the policies it links in ascending sequence, as in Contrail); 0 when
   *     absent, like the first policy of a VirtualNetwork document. Only allowed with {@code
   *     networks}; a re-apply changes the sequence of existing links to this policy too
   */
  record PolicySpec(List<PolicyRule> rules, List<FqName> networks, int sequence) {}

  static NetworkSpec network(WeftDocument doc) {
    Fields spec = spec(doc).allow("subnets", "routeTargets", "networkPolicies");
    List<Subnet> subnets = spec.list("subnets", Specs::subnet);
    List<String> routeTargets =
        spec.list("routeTargets", (w, n) -> RouteTargets.requireValid(scalar(n, "a route target")));
    FqName project = doc.metadata().projectFqName();
    List<FqName> policies =
        spec.list(
            "networkPolicies", (w, n) -> relative(project, scalar(n, "a network policy name")));
    return new NetworkSpec(subnets, routeTargets, policies);
  }

  static PolicySpec policy(WeftDocument doc) {
    Fields spec = spec(doc).allow("rules", "networks", "sequence");
    FqName project = doc.metadata().projectFqName();
    List<JsonNode> raw = spec.list("rules");
    List<PolicyRule> rules = new java.util.ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      rules.add(rule(Fields.of(raw.get(i), "spec.rules[" + i + "]"), project));
    }
    List<FqName> networks = null;
    if (spec.get("networks") != null) {
      networks =
          spec.list("networks", (w, n) -> relative(project, scalar(n, "a virtual network name")));
      requireDistinct(spec.path("networks"), networks);
    }
    int sequence = 0;
    JsonNode rawSequence = spec.get("sequence");
    if (rawSequence != null) {
      if (!rawSequence.isIntegralNumber()
          || !rawSequence.canConvertToInt()
          || rawSequence.asInt() < 0) {
        throw ApiException.badRequest(
            spec.path("sequence")
                + " must be a whole number from 0 to "
                + Integer.MAX_VALUE
                + ", found "
                + Fields.describe(rawSequence));
      }
      if (networks == null) {
        throw ApiException.badRequest(
            spec.path("sequence")
                + " is the sequence of the links spec.networks makes; add spec.networks (the"
                + " networks this policy is attached to) or remove spec.sequence");
      }
      sequence = rawSequence.asInt();
    }
    return new PolicySpec(rules, networks, sequence);
  }

  private static void requireDistinct(String where, List<FqName> names) {
    for (int i = 0; i < names.size(); i++) {
      int first = names.indexOf(names.get(i));
      if (first != i) {
        throw ApiException.badRequest(
            where
                + "["
                + i
                + "]: network "
                + names.get(i)
                + " is already named at "
                + where
                + "["
                + first
                + "]");
      }
    }
  }

  static List<IpPrefix> pool(WeftDocument doc) {
    return spec(doc)
        .allow("subnets")
        .list("subnets", (w, n) -> IpPrefix.parse(scalar(n, "a prefix")));
  }

  private static Fields spec(WeftDocument doc) {
    return Fields.of(
        doc.spec() == null
            ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
            : doc.spec(),
        "spec");
  }

  private static String scalar(JsonNode node, String what) {
    if (!node.isTextual()) {
      throw new IllegalArgumentException("expected " + what + " as a string, found " + node);
    }
    return node.asText();
  }

  /** {@code "10.1.0.0/24"} or {@code {cidr: 10.1.0.0/24, gateway: 10.1.0.254}}. */
  private static Subnet subnet(String where, JsonNode node) {
    if (node.isTextual()) {
      return Subnet.of(node.asText());
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          "a subnet is a prefix such as 10.1.0.0/24 or {cidr: ..., gateway: ...}, found " + node);
    }
    Fields f = Fields.of(node, where).allow("cidr", "gateway");
    String cidr =
        f.text("cidr").orElseThrow(() -> ApiException.badRequest(where + ".cidr is required"));
    return new Subnet(IpPrefix.parse(cidr), f.text("gateway").orElse(null));
  }

  /** {@code np-1} is in {@code project}; {@code domain:project:name} is absolute. */
  static FqName relative(FqName project, String name) {
    if (name.indexOf(':') < 0) {
      return project.child(name);
    }
    FqName fq = FqName.parse(name);
    if (fq.parts().size() != 3) {
      throw new IllegalArgumentException(
          "\"" + name + "\" is neither a name in this project nor domain:project:name");
    }
    return fq;
  }

  private static PolicyRule rule(Fields r, FqName project) {
    r.allow(
        "action",
        "direction",
        "protocol",
        "source",
        "sourcePorts",
        "destination",
        "destinationPorts");
    Action action =
        Fields.convert(
            r.path("action"),
            NullNode.instance,
            n -> Action.parse(r.requiredText("action", " (pass or deny)")));
    String direction = r.text("direction").orElse("<>");
    Protocol protocol =
        Fields.convert(
            r.path("protocol"),
            NullNode.instance,
            n -> Protocol.parse(r.text("protocol").orElse("any")));
    AddressMatch source = address(r, "source", project);
    AddressMatch destination = address(r, "destination", project);
    List<PortRange> sourcePorts = r.list("sourcePorts", (w, n) -> ports(n));
    List<PortRange> destinationPorts = r.list("destinationPorts", (w, n) -> ports(n));
    return Fields.convert(
        r.path("direction"),
        NullNode.instance,
        n ->
            new PolicyRule(
                action, direction, protocol, source, sourcePorts, destination, destinationPorts));
  }

  /** {@code any}, {@code {network: NAME}} or {@code {subnet: CIDR}}; absent means any. */
  private static AddressMatch address(Fields rule, String name, FqName project) {
    JsonNode node = rule.get(name);
    String where = rule.path(name);
    if (node == null || (node.isTextual() && node.asText().equals("any"))) {
      return AddressMatch.ANY;
    }
    if (!node.isObject()) {
      throw ApiException.badRequest(
          where + " must be any, {network: NAME} or {subnet: CIDR}, found " + node);
    }
    Fields f = Fields.of(node, where).allow("network", "subnet");
    var network = f.text("network");
    var subnet = f.text("subnet");
    if (network.isPresent() == subnet.isPresent()) {
      throw ApiException.badRequest(
          where + " must name exactly one of network and subnet, found " + node);
    }
    if (network.isPresent()) {
      return Fields.convert(
          f.path("network"), node, n -> AddressMatch.network(relative(project, network.get())));
    }
    return Fields.convert(
        f.path("subnet"), node, n -> new AddressMatch(null, IpPrefix.parse(subnet.get())));
  }

  /** {@code 80}, {@code "1000-2000"} or {@code any}. */
  private static PortRange ports(JsonNode node) {
    if (node.isInt()) {
      return PortRange.of(node.asInt());
    }
    if (!node.isTextual()) {
      throw new IllegalArgumentException("a port is a number, \"low-high\" or any, found " + node);
    }
    String text = node.asText().trim();
    if (text.equals("any")) {
      return PortRange.ANY;
    }
    try {
      int dash = text.indexOf('-');
      if (dash < 0) {
        return PortRange.of(Integer.parseInt(text));
      }
      return new PortRange(
          Integer.parseInt(text.substring(0, dash).trim()),
          Integer.parseInt(text.substring(dash + 1).trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "a port is a number, \"low-high\" or any, found \"" + text + "\"");
    }
  }
}
