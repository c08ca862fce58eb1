package dev.weft.agent.linux;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.agent.CommandFailedException;
import dev.weft.agent.Shell;
import dev.weft.agent.linux.KernelState.Link;
import dev.weft.agent.linux.KernelState.NftTable;
import dev.weft.agent.linux.KernelState.Vxlan;
import dev.weft.agent.linux.Nft.Field;
import dev.weft.agent.linux.NodeState.FdbEntry;
import dev.weft.agent.linux.NodeState.Hop;
import dev.weft.agent.linux.NodeState.IpRoute;
import dev.weft.agent.linux.NodeState.IpRule;
import dev.weft.agent.linux.NodeState.Neighbor;
import dev.weft.agent.linux.NodeState.RouteType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads what Weft owns from a node's kernel through the tools' JSON output ({@code ip -j}, {@code
 * bridge -j}, {@code nft -j}), and turns it into the same values {@link NodeRenderer} produces, so
 * that a diff is a comparison of values. Eight commands per read, whatever the size of the state.
 */
final class KernelReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Commands commands;

  KernelReader(Commands commands) {
    this.commands = commands;
  }

  KernelState read() {
    Map<String, Link> links = links(json(commands.ip("-j", "-d", "link", "show")));
    List<IpRoute> routes = new ArrayList<>();
    routes.addAll(routes(json(commands.ip("-j", "-4", "route", "show", "table", "all")), 4));
    routes.addAll(routes(json(commands.ip("-j", "-6", "route", "show", "table", "all")), 6));
    List<IpRule> rules = new ArrayList<>();
    rules.addAll(rules(json(commands.ip("-j", "-4", "rule", "show")), 4));
    rules.addAll(rules(json(commands.ip("-j", "-6", "rule", "show")), 6));
    List<Neighbor> neighbors = neighbors(json(commands.ip("-j", "neigh", "show")));
    List<NodeState.FdbEntry> fdb = fdb(json(commands.bridge("-j", "fdb", "show")));
    Map<String, String> sysctls = sysctls(commands.sysctls());
    NftTable nft = nft(commands.nftList());
    return new KernelState(links, routes, rules, neighbors, fdb, sysctls, nft);
  }

  private static JsonNode json(Shell.Result r) {
    String out = r.stdout().strip();
    if (out.isEmpty()) {
      return JSON.createArrayNode();
    }
    try {
      return JSON.readTree(out);
    } catch (JsonProcessingException e) {
      throw new CommandFailedException(
          r.argv(), "printed JSON that could not be parsed: " + e.getOriginalMessage(), e);
    }
  }

  static Map<String, Link> links(JsonNode array) {
    Map<String, Link> out = new LinkedHashMap<>();
    for (JsonNode l : array) {
      String name = l.path("ifname").asText();
      if (!Naming.ownsDevice(name)) {
        continue;
      }
      boolean up = false;
      for (JsonNode f : l.path("flags")) {
        up |= f.asText().equals("UP");
      }
      JsonNode info = l.path("linkinfo");
      String kind = info.path("info_kind").asText("");
      Vxlan vxlan = null;
      if (kind.equals("vxlan")) {
        JsonNode d = info.path("info_data");
        String local =
            d.hasNonNull("local") ? d.get("local").asText() : d.path("local6").asText("");
        vxlan =
            new Vxlan(
                d.path("id").asLong(),
                local.isEmpty() ? "" : Addresses.canonical(local),
                d.path("port").asInt(),
                d.path("learning").asBoolean(true));
      }
      out.put(
          name,
          new Link(
              name,
              kind,
              up,
              l.path("mtu").asInt(),
              l.path("address").asText("").toLowerCase(Locale.ROOT),
              vxlan));
    }
    return out;
  }

  static List<IpRoute> routes(JsonNode array, int family) {
    List<IpRoute> out = new ArrayList<>();
    for (JsonNode r : array) {
      long table = table(r.path("table").asText("main"));
      if (!Naming.ownsTable(table)) {
        continue;
      }
      String typeText = r.path("type").asText("unicast");
      RouteType type =
          switch (typeText) {
            case "unreachable" -> RouteType.UNREACHABLE;
            case "blackhole" -> RouteType.BLACKHOLE;
            default -> RouteType.UNICAST;
          };
      List<Hop> hops = new ArrayList<>();
      if (type == RouteType.UNICAST) {
        if (r.has("nexthops")) {
          for (JsonNode h : r.get("nexthops")) {
            hops.add(hop(h));
          }
        } else {
          hops.add(hop(r));
        }
      }
      long metric = r.path("metric").asLong(0);
      String prefix = Addresses.prefix(r.path("dst").asText(), family);
      if (!typeText.equals("unicast") && type == RouteType.UNICAST) {
        // A kind of route Weft never makes: a hop it cannot match, so the route is replaced.
        hops = List.of(new Hop(null, typeText, false));
      }
      out.add(new IpRoute(family, table, prefix, type, hops, metric));
    }
    return out;
  }

  private static Hop hop(JsonNode h) {
    String gateway = null;
    if (h.hasNonNull("gateway")) {
      gateway = Addresses.canonical(h.get("gateway").asText());
    } else if (h.has("via")) {
      gateway = Addresses.canonical(h.get("via").path("host").asText());
    }
    boolean onlink = false;
    for (JsonNode f : h.path("flags")) {
      onlink |= f.asText().equals("onlink");
    }
    return new Hop(gateway, h.path("dev").asText(), onlink);
  }

  private static long table(String t) {
    if (t.equals("main")) {
      return Naming.MAIN_TABLE;
    }
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      return -1; // main, local, default: not Weft's
    }
  }

  static List<IpRule> rules(JsonNode array, int family) {
    List<IpRule> out = new ArrayList<>();
    for (JsonNode r : array) {
      long table = table(r.path("table").asText(""));
      String iif = r.hasNonNull("iif") ? r.get("iif").asText() : null;
      long mark = r.hasNonNull("fwmark") ? Long.decode(r.get("fwmark").asText()) : 0;
      long mask =
          r.hasNonNull("fwmask")
              ? Long.decode(r.get("fwmask").asText())
              : mark == 0 ? 0 : 0xffffffffL;
      IpRule rule = new IpRule(family, r.path("priority").asInt(), iif, mark, mask, table);
      if (Naming.ownsRule(rule)) {
        out.add(rule);
      }
    }
    return out;
  }

  static List<Neighbor> neighbors(JsonNode array) {
    List<Neighbor> out = new ArrayList<>();
    for (JsonNode n : array) {
      String dev = n.path("dev").asText();
      if (!Naming.ownsDevice(dev) || !n.hasNonNull("lladdr")) {
        continue;
      }
      boolean permanent = false;
      for (JsonNode s : n.path("state")) {
        permanent |= s.asText().equals("PERMANENT");
      }
      if (permanent) {
        out.add(
            new Neighbor(
                dev,
                Addresses.canonical(n.path("dst").asText()),
                n.get("lladdr").asText().toLowerCase(Locale.ROOT)));
      }
    }
    return out;
  }

  static List<FdbEntry> fdb(JsonNode array) {
    List<FdbEntry> out = new ArrayList<>();
    for (JsonNode f : array) {
      String dev = f.path("ifname").asText();
      if (!Naming.ownsDevice(dev) || !f.hasNonNull("dst")) {
        continue;
      }
      out.add(
          new FdbEntry(
              dev,
              f.path("mac").asText().toLowerCase(Locale.ROOT),
              Addresses.canonical(f.get("dst").asText())));
    }
    return out;
  }

  /** {@code path:value} lines, paths relative to {@code /proc/sys/net}. */
  static Map<String, String> sysctls(Shell.Result r) {
    Map<String, String> out = new HashMap<>();
    for (String line : r.stdout().split("\n")) {
      int colon = line.lastIndexOf(':');
      if (colon > 0) {
        out.put(line.substring(0, colon).replace('/', '.'), line.substring(colon + 1).strip());
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // nftables

  static NftTable nft(Shell.Result r) {
    if (!r.ok()) {
      if (r.stderr().contains("No such file or directory")) {
        return NftTable.ABSENT;
      }
      r.check();
    }
    JsonNode root = json(r);
    Map<String, Nft.Set> sets = new LinkedHashMap<>();
    Map<String, List<String>> comments = new LinkedHashMap<>();
    Map<String, Nft.Base> bases = new HashMap<>();
    boolean exists = false;
    for (JsonNode item : root.path("nftables")) {
      if (item.has("table")) {
        exists = true;
      } else if (item.has("set") || item.has("map")) {
        JsonNode s = item.has("set") ? item.get("set") : item.get("map");
        Nft.Set set = set(s);
        sets.put(set.name(), set);
      } else if (item.has("chain")) {
        JsonNode c = item.get("chain");
        String name = c.path("name").asText();
        comments.putIfAbsent(name, new ArrayList<>());
        if (c.has("hook")) {
          bases.put(
              name,
              new Nft.Base(
                  c.path("type").asText(),
                  c.path("hook").asText(),
                  c.path("prio").asInt(),
                  c.path("policy").asText("accept")));
        }
      } else if (item.has("rule")) {
        JsonNode rule = item.get("rule");
        comments
            .computeIfAbsent(rule.path("chain").asText(), k -> new ArrayList<>())
            .add(rule.hasNonNull("comment") ? rule.get("comment").asText() : null);
      }
    }
    Map<String, KernelState.Chain> chains = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : comments.entrySet()) {
      chains.put(
          e.getKey(), new KernelState.Chain(e.getKey(), bases.get(e.getKey()), e.getValue()));
    }
    return new NftTable(exists, sets, chains);
  }

  private static Nft.Set set(JsonNode s) {
    List<Field> key = new ArrayList<>();
    JsonNode type = s.path("type");
    if (type.isArray()) {
      for (JsonNode t : type) {
        key.add(Field.of(t.asText()));
      }
    } else {
      key.add(Field.of(type.asText()));
    }
    boolean interval = false;
    for (JsonNode f : s.path("flags")) {
      interval |= f.asText().equals("interval");
    }
    String value = s.hasNonNull("map") ? s.get("map").asText() : null;
    List<Nft.Element> elements = new ArrayList<>();
    for (JsonNode e : s.path("elem")) {
      JsonNode k = e;
      String v = null;
      if (value != null && e.isArray()) {
        k = e.get(0);
        v = value(e.get(1));
      }
      if (k.has("elem")) {
        k = k.get("elem").path("val");
      }
      List<JsonNode> fields = new ArrayList<>();
      if (k.has("concat")) {
        k.get("concat").forEach(fields::add);
      } else {
        fields.add(k);
      }
      List<String> text = new ArrayList<>();
      for (int i = 0; i < key.size() && i < fields.size(); i++) {
        text.add(field(key.get(i), fields.get(i)));
      }
      elements.add(new Nft.Element(text, v));
    }
    return new Nft.Set(s.path("name").asText(), key, interval, value, elements);
  }

  private static String value(JsonNode v) {
    if (v.isNumber()) {
      return v.asText();
    }
    if (v.isTextual()) {
      return datum(v.asText());
    }
    if (v.has("concat")) {
      List<String> parts = new ArrayList<>();
      for (JsonNode p : v.get("concat")) {
        parts.add(p.isNumber() ? p.asText() : datum(p.asText()));
      }
      return String.join(" . ", parts);
    }
    for (String verdict : new String[] {"jump", "goto"}) {
      if (v.has(verdict)) {
        return verdict + " " + v.get(verdict).path("target").asText();
      }
    }
    return v.fieldNames().hasNext() ? v.fieldNames().next() : v.toString();
  }

  /** A textual map value: an address (in canonical form) or a number. */
  private static String datum(String s) {
    return s.indexOf(':') >= 0 || s.indexOf('.') >= 0 ? NftRenderer.canonical(s) : s;
  }

  /** One field of an element in canonical text: exact values, prefixes and ranges alike. */
  static String field(Field f, JsonNode v) {
    if (f == Field.IFNAME) {
      return Nft.ifname(v.asText());
    }
    if (v.has("range")) {
      return f.format(number(f, v.get("range").get(0)), number(f, v.get("range").get(1)));
    }
    if (v.has("prefix")) {
      BigInteger base = number(f, v.get("prefix").path("addr"));
      int len = v.get("prefix").path("len").asInt();
      int bits = f.max().bitLength();
      BigInteger span = BigInteger.ONE.shiftLeft(bits - len).subtract(BigInteger.ONE);
      BigInteger lo = base.andNot(span);
      return f.format(lo, lo.or(span));
    }
    BigInteger n = number(f, v);
    return f.format(n, n);
  }

  private static BigInteger number(Field f, JsonNode v) {
    if (v.isNumber()) {
      return v.bigIntegerValue();
    }
    String s = v.asText();
    if (f == Field.IPV4 || f == Field.IPV6) {
      return Nft.number(s);
    }
    return s.startsWith("0x") ? new BigInteger(s.substring(2), 16) : new BigInteger(s);
  }
}
