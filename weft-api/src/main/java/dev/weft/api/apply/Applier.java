package dev.weft.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.api.apply.ApplyResult.Outcome;
import dev.weft.api.config.ApiException;
import dev.weft.api.config.Nouns;
import dev.weft.api.config.ObjectWrites;
import dev.weft.api.config.PolicyLinks;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.IpamLink;
import dev.weft.model.NetworkIpam;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.PolicyLink;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.ConflictException;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Create-or-replace (and delete) of weft/v1 documents by FQ name: an existing object keeps its UUID
 * and is replaced whole, so fields and annotations missing from the document are removed. Applying
 * the same document twice gives {@link Outcome#UNCHANGED} and writes nothing.
 *
 * <p>A NetworkPolicy document with {@code spec.networks} also sets which networks link the policy
 * (networks Weft derives from Kubernetes included), and deleting a NetworkPolicy document unlinks
 * it from every network first; either way the policy and the networks change in one transaction.
 *
 * <p>Thread-safe. A write that loses a race with another writer is re-read and retried a few times,
 * which is safe because applying is level-based.
 */
public final class Applier {
  /** The project bootstrapped next to the Kubernetes ones; holds the IPAM of user subnets. */
  public static final FqName DEFAULT_PROJECT = FqName.of("default-domain", "default-project");

  /** The IPAM user-defined subnets link to. */
  public static final FqName DEFAULT_IPAM = DEFAULT_PROJECT.child("default-network-ipam");

  private static final int ATTEMPTS = 5;

  private final ObjectStore store;
  private final ObjectCache cache;
  private final ObjectWrites writes;
  private final PolicyLinks links;

  public Applier(ObjectStore store) {
    this.store = store;
    this.cache = store.cache();
    this.writes = new ObjectWrites(store, null); // documents never write floating IPs
    this.links = new PolicyLinks(cache);
  }

  /** Creates or replaces the object {@code document} describes. */
  public ApplyResult apply(JsonNode document) {
    WeftDocument doc = WeftDocument.parse(document);
    return retrying(doc, () -> applyOnce(doc));
  }

  /** Deletes the object {@code document} names (its spec is ignored). */
  public ApplyResult delete(JsonNode document) {
    WeftDocument doc = WeftDocument.parse(document);
    return retrying(doc, () -> deleteOnce(doc));
  }

  private ApplyResult retrying(WeftDocument doc, java.util.function.Supplier<ApplyResult> once) {
    for (int attempt = 1; ; attempt++) {
      try {
        return once.get();
      } catch (ConflictException e) {
        if (attempt == ATTEMPTS) {
          throw ApiException.conflict(
              Nouns.noun(doc.kind().type())
                  + " "
                  + doc.fqName()
                  + " kept changing while it was applied ("
                  + e.getMessage()
                  + "); try again");
        }
      }
    }
  }

  private ApplyResult applyOnce(WeftDocument doc) {
    Project project = requireProject(doc);
    FqName fqName = doc.fqName();
    ObjectType type = doc.kind().type();
    Optional<Stored<ConfigObject>> existing = cache.get(type, fqName);
    existing.ifPresent(s -> ObjectWrites.requireWritable(s.object()));
    UUID uuid = existing.map(s -> s.object().uuid()).orElseGet(UUID::randomUUID);
    List<ConfigObject> pending = new ArrayList<>();
    List<PolicyLinks.Change> relinks = new ArrayList<>();
    ConfigObject desired =
        switch (doc.kind()) {
          case VIRTUAL_NETWORK -> network(doc, uuid, project, pending);
          case NETWORK_POLICY -> policy(doc, uuid, project, relinks);
          case FLOATING_IP_POOL ->
              new FloatingIpPool(
                  uuid,
                  fqName,
                  Ref.to(requireNetwork(doc)),
                  doc.metadata().annotations(),
                  Specs.pool(doc));
        };
    ConfigObject previous = existing.map(Stored::object).orElse(null);
    if (desired.equals(previous) && relinks.isEmpty()) {
      return new ApplyResult(Outcome.UNCHANGED, type, fqName, uuid);
    }
    writes.rules().validate(desired, previous, pending);
    ObjectTxn txn = store.begin();
    pending.forEach(txn::create);
    if (existing.isEmpty()) {
      txn.create(desired);
    } else if (!desired.equals(previous)) {
      txn.update(existing.get(), desired);
    }
    // Each network is guarded by the revision it was read at, so a concurrent change to one
    // (the kube-manager converging a derived network) makes the whole apply retry.
    relinks.forEach(c -> txn.update(c.before(), c.after()));
    if (desired instanceof VirtualNetwork vn) {
      links.guardPolicies(txn, vn.networkPolicyRefs());
    } else if (desired.equals(previous)) {
      // Only links change: the policy must still be there when they are written.
      links.guardPolicy(txn, desired.uuid());
    }
    store.commit(txn);
    return new ApplyResult(
        existing.isPresent() ? Outcome.REPLACED : Outcome.CREATED, type, fqName, uuid);
  }

  private ApplyResult deleteOnce(WeftDocument doc) {
    ObjectType type = doc.kind().type();
    FqName fqName = doc.fqName();
    Optional<Stored<ConfigObject>> existing = cache.get(type, fqName);
    if (existing.isEmpty()) {
      return new ApplyResult(Outcome.NOT_FOUND, type, fqName, null);
    }
    ConfigObject object = existing.get().object();
    ObjectWrites.requireWritable(object);
    // Deleting a policy document unlinks it from every network (derived ones included), as
    // Contrail's UI does for a policy's associated networks; other objects still block deletion.
    List<PolicyLinks.Change> unlinks =
        object instanceof NetworkPolicy ? links.detachAll(object.uuid()) : List.of();
    writes.requireUnused(
        object, unlinks.stream().map(c -> c.after().uuid()).collect(Collectors.toSet()));
    ObjectTxn txn = store.begin();
    unlinks.forEach(c -> txn.update(c.before(), c.after()));
    store.commit(txn.delete(existing.get()));
    return new ApplyResult(Outcome.DELETED, type, fqName, object.uuid());
  }

  /**
   * The policy a NetworkPolicy document describes; with {@code spec.networks}, adds to {@code
   * relinks} the network updates that make exactly those networks link it.
   */
  /**
   * The doc's annotations plus the record of {@code spec.networks} (see {@link
   * NetworkPolicy#ATTACHED_NETWORKS}); without {@code spec.networks} the stored record is kept, as
   * the links are.
   */
  private Map<String, String> attachIntent(WeftDocument doc, Specs.PolicySpec spec) {
    Map<String, String> out = new java.util.TreeMap<>(doc.metadata().annotations());
    if (spec.networks() != null) {
      out.put(
          NetworkPolicy.ATTACHED_NETWORKS,
          String.join(",", spec.networks().stream().map(FqName::toString).sorted().toList()));
      out.put(NetworkPolicy.ATTACH_SEQUENCE, Integer.toString(spec.sequence()));
      return out;
    }
    cache
        .<NetworkPolicy>get(ObjectType.NETWORK_POLICY, doc.fqName())
        .ifPresent(
            s -> {
              for (String k :
                  List.of(NetworkPolicy.ATTACHED_NETWORKS, NetworkPolicy.ATTACH_SEQUENCE)) {
                String v = s.object().annotations().get(k);
                if (v != null) {
                  out.put(k, v);
                }
              }
            });
    return out;
  }

  private NetworkPolicy policy(
      WeftDocument doc, UUID uuid, Project project, List<PolicyLinks.Change> relinks) {
    Specs.PolicySpec spec = Specs.policy(doc);
    NetworkPolicy policy =
        new NetworkPolicy(
            uuid, doc.fqName(), Ref.to(project), attachIntent(doc, spec), spec.rules());
    if (spec.networks() != null) {
      List<Stored<VirtualNetwork>> networks = new ArrayList<>();
      for (int i = 0; i < spec.networks().size(); i++) {
        FqName name = spec.networks().get(i);
        String where = "spec.networks[" + i + "]";
        networks.add(
            cache
                .<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, name)
                .orElseThrow(
                    () ->
                        ApiException.notFound(
                            "virtual network "
                                + name
                                + " ("
                                + where
                                + ") does not exist; apply it before the policies that attach"
                                + " to it, or remove it from spec.networks")));
      }
      relinks.addAll(links.attach(policy, networks, spec.sequence()));
    }
    return policy;
  }

  private Project requireProject(WeftDocument doc) {
    FqName fq = doc.metadata().projectFqName();
    return cache
        .<Project>get(ObjectType.PROJECT, fq)
        .map(Stored::object)
        .orElseThrow(
            () -> {
              List<String> known =
                  cache.<Project>list(ObjectType.PROJECT).stream()
                      .map(s -> s.object().fqName().toString())
                      .sorted()
                      .toList();
              return ApiException.notFound(
                  "project "
                      + fq
                      + " (metadata.project) does not exist; Weft makes one project per"
                      + " Kubernetes namespace (namespace NS becomes project <cluster>-NS)"
                      + (known.isEmpty() ? "" : "; existing projects: " + Nouns.list(known, 10)));
            });
  }

  private VirtualNetwork requireNetwork(WeftDocument doc) {
    FqName fq = doc.networkFqName();
    return cache
        .<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, fq)
        .map(Stored::object)
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "virtual network " + fq + " (metadata.network) does not exist"));
  }

  private VirtualNetwork network(
      WeftDocument doc, UUID uuid, Project project, List<ConfigObject> pending) {
    Specs.NetworkSpec spec = Specs.network(doc);
    List<IpamLink> links = new ArrayList<>();
    if (!spec.subnets().isEmpty()) {
      links.add(new IpamLink(Ref.to(defaultIpam(pending)), spec.subnets()));
    }
    List<PolicyLink> policies = new ArrayList<>();
    for (int i = 0; i < spec.policies().size(); i++) {
      FqName name = spec.policies().get(i);
      NetworkPolicy policy =
          cache
              .<NetworkPolicy>get(ObjectType.NETWORK_POLICY, name)
              .map(Stored::object)
              .orElseThrow(
                  () ->
                      ApiException.notFound(
                          "network policy "
                              + name
                              + " (spec.networkPolicies) does not exist; apply it before the"
                              + " networks that attach it"));
      policies.add(new PolicyLink(Ref.to(policy), i));
    }
    return new VirtualNetwork(
        uuid,
        doc.fqName(),
        Ref.to(project),
        doc.metadata().annotations(),
        links,
        spec.routeTargets(),
        policies);
  }

  /**
   * The default IPAM; when the kube-manager has not bootstrapped it (and its project) yet, they are
   * added to {@code pending} to be created in the same transaction.
   */
  private NetworkIpam defaultIpam(List<ConfigObject> pending) {
    Optional<NetworkIpam> ipam =
        cache.<NetworkIpam>get(ObjectType.NETWORK_IPAM, DEFAULT_IPAM).map(Stored::object);
    if (ipam.isPresent()) {
      return ipam.get();
    }
    Project project =
        cache
            .<Project>get(ObjectType.PROJECT, DEFAULT_PROJECT)
            .map(Stored::object)
            .orElseGet(
                () -> {
                  Project p = new Project(UUID.randomUUID(), DEFAULT_PROJECT, null, Map.of());
                  pending.add(p);
                  return p;
                });
    NetworkIpam created =
        new NetworkIpam(UUID.randomUUID(), DEFAULT_IPAM, Ref.to(project), Map.of(), List.of());
    pending.add(created);
    return created;
  }
}
