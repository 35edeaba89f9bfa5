package io.payloadprocessor.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.config.ConfigReader;
import io.payloadprocessor.inprocess.CelTransformProcessor;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.TargetRef;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.GoDuration;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Validates one PayloadProcessor document field by field (everything the CRD schema and its CEL
 * rules check, plus what only the server can check: CEL that compiles, JSONPath that parses, module
 * configs) and builds its processors. Every problem is collected with its field path.
 */
final class DocumentReader {
  static final Set<String> API_VERSIONS =
      Set.of("ainetworking.x-k8s.io/v0alpha0", "gateway.networking.k8s.io/v1alpha1");
  static final String KIND = "PayloadProcessor";
  static final String TYPE_IN_PROCESS = "InProcess";
  static final String TYPE_EXT_PROCESS = "ExtProcess";
  static final String TYPE_MODULE = "payload-processor.io/Module";
  static final Set<String> GROUPS =
      Set.of("gateway.networking.k8s.io", "gateway.networking.x-k8s.io");
  static final String DEFAULT_GROUP = "gateway.networking.k8s.io";
  static final Set<String> GATEWAY_KINDS = Set.of("Gateway", "ListenerSet", "XListenerSet");
  static final Set<String> ROUTE_KINDS = Set.of("HTTPRoute", "GRPCRoute");
  static final int MAX_PROCESSORS = 16;
  static final Duration MIN_TIMEOUT = Duration.ofMillis(10);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

  private static final Set<String> TOP_FIELDS =
      Set.of("apiVersion", "kind", "metadata", "spec", "status");

  /** Kubernetes ObjectMeta: what {@code kubectl get -o yaml} prints is accepted and ignored. */
  private static final Set<String> METADATA_FIELDS =
      Set.of(
          "name",
          "namespace",
          "creationTimestamp",
          "labels",
          "annotations",
          "uid",
          "resourceVersion",
          "generation",
          "generateName",
          "managedFields",
          "ownerReferences",
          "finalizers",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "selfLink");

  private static final Set<String> SPEC_FIELDS = Set.of("targetRef", "phase", "processors");
  private static final Set<String> TARGET_FIELDS = Set.of("group", "kind", "name", "namespace");
  private static final Set<String> PROCESSOR_FIELDS =
      Set.of(
          "name",
          "type",
          "failureMode",
          "timeout",
          "optional",
          "inProcess",
          "extProcess",
          "module");
  private static final Set<String> BACKEND_FIELDS =
      Set.of("group", "kind", "name", "namespace", "port");

  private static final Pattern DNS_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

  /** One processor, validated and built. */
  record ParsedProcessor(
      String name,
      String type,
      FailureMode failureMode,
      Duration timeout,
      boolean optional,
      Processor processor) {}

  /** One document, validated; processors built. */
  record ParsedDocument(
      String file,
      int index,
      String name,
      String namespace,
      Instant creationTimestamp,
      Stage stage,
      TargetRef target,
      List<ParsedProcessor> processors,
      long loadOrder) {

    String label() {
      return namespace == null ? name : namespace + "/" + name;
    }
  }

  private final ProcessorBuilders builders;
  private final Map<String, ModuleFactory> modules;

  DocumentReader(ProcessorBuilders builders, Map<String, ModuleFactory> modules) {
    this.builders = builders;
    this.modules = modules;
  }

  /**
   * Reads one document. Problems go to {@code reader}; returns null if there were any (processors
   * built before a problem was found are closed).
   */
  ParsedDocument read(
      ConfigReader reader,
      JsonNode doc,
      String file,
      int index,
      long loadOrder,
      ModuleContext context) {
    if (doc == null || !doc.isObject()) {
      reader.error("", "must be a mapping (a PayloadProcessor document)");
      return null;
    }
    reader.checkFields("", doc, TOP_FIELDS);
    String apiVersion = reader.string("", doc, "apiVersion", true);
    if (apiVersion != null && !API_VERSIONS.contains(apiVersion)) {
      reader.error(
          "apiVersion",
          "must be one of "
              + String.join(", ", new TreeSet<>(API_VERSIONS))
              + ", got "
              + apiVersion);
    }
    String kind = reader.string("", doc, "kind", true);
    if (kind != null && !KIND.equals(kind)) {
      reader.error("kind", "must be " + KIND + ", got " + kind);
    }

    ObjectNode metadata = reader.object("", doc, "metadata", true);
    String name = null;
    String namespace = null;
    Instant created = null;
    if (metadata != null) {
      reader.checkFields("metadata", metadata, METADATA_FIELDS);
      name = reader.string("metadata", metadata, "name", true);
      if (name != null) {
        checkDnsSubdomain(reader, "metadata.name", name);
      }
      namespace = reader.string("metadata", metadata, "namespace", false);
      if (namespace != null) {
        checkDnsLabel(reader, "metadata.namespace", namespace);
      }
      created = timestamp(reader, metadata);
    }

    ObjectNode spec = reader.object("", doc, "spec", true);
    if (spec == null) {
      return null;
    }
    reader.checkFields("spec", spec, SPEC_FIELDS);
    TargetRef target = targetRef(reader, spec, namespace);
    Stage stage = null;
    String phase = reader.string("spec", spec, "phase", true);
    if (phase != null) {
      stage = Stage.fromYaml(phase);
      if (stage == null) {
        reader.error("spec.phase", "must be PreRouting or PostRouting, got " + phase);
      } else if (stage == Stage.PRE_ROUTING && target != null && !target.isGatewayLevel()) {
        reader.error(
            "spec.phase",
            "PreRouting runs before route matching, so it needs a Gateway or ListenerSet target;"
                + " spec.targetRef.kind is "
                + target.kind()
                + " (use PostRouting)");
      }
    }

    List<ParsedProcessor> processors = processors(reader, spec, namespace, context);
    if (reader.hasProblems()) {
      closeAll(processors);
      return null;
    }
    return new ParsedDocument(
        file, index, name, namespace, created, stage, target, processors, loadOrder);
  }

  private static Instant timestamp(ConfigReader reader, ObjectNode metadata) {
    JsonNode ts = metadata.get("creationTimestamp");
    if (ts == null || ts.isNull()) {
      return null;
    }
    if (!ts.isTextual()) {
      reader.error(
          "metadata.creationTimestamp",
          "must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z, got "
              + ConfigReader.describe(ts));
      return null;
    }
    try {
      return OffsetDateTime.parse(ts.asText()).toInstant();
    } catch (DateTimeParseException e) {
      reader.error(
          "metadata.creationTimestamp",
          "must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z, got " + ts.asText());
      return null;
    }
  }

  private static TargetRef targetRef(ConfigReader reader, ObjectNode spec, String docNamespace) {
    ObjectNode ref = reader.object("spec", spec, "targetRef", true);
    if (ref == null) {
      return null;
    }
    String path = "spec.targetRef";
    int before = reader.count();
    reader.checkFields(path, ref, TARGET_FIELDS);
    String group = reader.string(path, ref, "group", false);
    if (group == null || group.isEmpty()) {
      group = DEFAULT_GROUP;
    } else if (!GROUPS.contains(group)) {
      reader.error(
          path + ".group",
          "must be one of " + String.join(", ", new TreeSet<>(GROUPS)) + ", got " + group);
    }
    String kind = reader.string(path, ref, "kind", true);
    if (kind != null && !GATEWAY_KINDS.contains(kind) && !ROUTE_KINDS.contains(kind)) {
      Set<String> all = new TreeSet<>(GATEWAY_KINDS);
      all.addAll(ROUTE_KINDS);
      reader.error(path + ".kind", "must be one of " + String.join(", ", all) + ", got " + kind);
    }
    String name = reader.string(path, ref, "name", true);
    if (name != null) {
      checkDnsSubdomain(reader, path + ".name", name);
    }
    String namespace = reader.string(path, ref, "namespace", false);
    if (namespace != null) {
      checkDnsLabel(reader, path + ".namespace", namespace);
    }
    if (reader.count() > before) {
      return null;
    }
    return new TargetRef(group, kind, name, namespace != null ? namespace : docNamespace);
  }

  private List<ParsedProcessor> processors(
      ConfigReader reader, ObjectNode spec, String docNamespace, ModuleContext context) {
    List<ParsedProcessor> built = new ArrayList<>();
    ArrayNode list = reader.array("spec", spec, "processors", true);
    if (list == null) {
      return built;
    }
    if (list.isEmpty() || list.size() > MAX_PROCESSORS) {
      reader.error(
          "spec.processors",
          "must list 1 to " + MAX_PROCESSORS + " processors, got " + list.size());
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String path = ConfigReader.index("spec.processors", i);
      JsonNode item = list.get(i);
      if (!item.isObject()) {
        reader.error(path, "must be a processor mapping, got " + ConfigReader.describe(item));
        continue;
      }
      ParsedProcessor p = processor(reader, path, item, names, docNamespace, context);
      if (p != null) {
        built.add(p);
      }
    }
    return built;
  }

  private ParsedProcessor processor(
      ConfigReader reader,
      String path,
      JsonNode item,
      Set<String> names,
      String docNamespace,
      ModuleContext context) {
    int before = reader.count();
    reader.checkFields(path, item, PROCESSOR_FIELDS);
    String name = reader.string(path, item, "name", true);
    if (name != null) {
      if (name.length() > 63 || !DNS_LABEL.matcher(name).matches()) {
        reader.error(
            path + ".name",
            "must be 1-63 lower-case letters, digits and '-', starting and ending with a letter or"
                + " digit, got '"
                + name
                + "'");
      } else if (!names.add(name)) {
        reader.error(path + ".name", "duplicate processor name '" + name + "' in this document");
      }
    }
    String type = reader.string(path, item, "type", true);
    if (type != null
        && !type.equals(TYPE_IN_PROCESS)
        && !type.equals(TYPE_EXT_PROCESS)
        && !type.equals(TYPE_MODULE)) {
      reader.error(
          path + ".type", "must be InProcess, ExtProcess or " + TYPE_MODULE + ", got " + type);
      type = null;
    }
    FailureMode failureMode = FailureMode.FAIL_CLOSED;
    String fm = reader.string(path, item, "failureMode", false);
    if (fm != null) {
      if (fm.equals(FailureMode.FAIL_OPEN.yamlName())) {
        failureMode = FailureMode.FAIL_OPEN;
      } else if (!fm.equals(FailureMode.FAIL_CLOSED.yamlName())) {
        reader.error(path + ".failureMode", "must be FailClosed or FailOpen, got " + fm);
      }
    }
    Duration timeout = timeout(reader, path, item);
    boolean optional = false;
    if (item.has("optional")) {
      JsonNode o = item.get("optional");
      if (!o.isBoolean()) {
        reader.error(path + ".optional", "must be true or false, got " + ConfigReader.describe(o));
      } else if (o.booleanValue() && failureMode != FailureMode.FAIL_OPEN) {
        reader.error(
            path + ".optional",
            "only a FailOpen processor can be optional (skipped under overload); set failureMode:"
                + " FailOpen or remove optional");
      } else {
        optional = o.booleanValue();
      }
    }

    List<String> blocks = new ArrayList<>();
    for (String b : List.of("inProcess", "extProcess", "module")) {
      if (item.has(b)) {
        blocks.add(b);
      }
    }
    String wanted =
        type == null
            ? null
            : type.equals(TYPE_IN_PROCESS)
                ? "inProcess"
                : type.equals(TYPE_EXT_PROCESS) ? "extProcess" : "module";
    if (blocks.size() != 1) {
      reader.error(
          path,
          "exactly one of inProcess, extProcess, module must be set"
              + (wanted == null ? "" : " (" + wanted + " for type " + type + ")")
              + (blocks.isEmpty() ? ", found none" : ", found " + String.join(" and ", blocks)));
      return null;
    }
    if (wanted != null && !wanted.equals(blocks.get(0))) {
      reader.error(
          path + "." + blocks.get(0), "does not match type " + type + ", which takes " + wanted);
      return null;
    }
    if (reader.count() > before || type == null) {
      // Build only what is otherwise valid: building is itself validation and would add noise.
      buildOnlyToValidate(reader, path, item, blocks.get(0), name, timeout, docNamespace, context);
      return null;
    }
    Processor processor =
        build(reader, path, item, blocks.get(0), name, timeout, docNamespace, context);
    if (processor == null) {
      return null;
    }
    String stepType = type.equals(TYPE_MODULE) ? item.path("module").path("id").asText(type) : type;
    return new ParsedProcessor(name, stepType, failureMode, timeout, optional, processor);
  }

  /** Still reports the block's own problems when the processor's other fields are wrong. */
  private void buildOnlyToValidate(
      ConfigReader reader,
      String path,
      JsonNode item,
      String block,
      String name,
      Duration timeout,
      String docNamespace,
      ModuleContext context) {
    Processor p =
        build(
            reader,
            path,
            item,
            block,
            name == null ? "invalid" : name,
            timeout,
            docNamespace,
            context);
    closeQuietly(p);
  }

  private static Duration timeout(ConfigReader reader, String path, JsonNode item) {
    JsonNode t = item.get("timeout");
    if (t == null || t.isNull()) {
      return DEFAULT_TIMEOUT;
    }
    String field = path + ".timeout";
    if (!t.isTextual()) {
      reader.error(
          field, "must be a duration string such as 500ms or 2s, got " + ConfigReader.describe(t));
      return DEFAULT_TIMEOUT;
    }
    try {
      Duration d = GoDuration.parse(t.asText());
      if (d.compareTo(MIN_TIMEOUT) < 0) {
        reader.error(field, "must be at least 10ms, got " + t.asText());
      }
      return d;
    } catch (IllegalArgumentException e) {
      reader.error(field, e.getMessage());
      return DEFAULT_TIMEOUT;
    }
  }

  private Processor build(
      ConfigReader reader,
      String path,
      JsonNode item,
      String block,
      String name,
      Duration timeout,
      String docNamespace,
      ModuleContext context) {
    String blockPath = path + "." + block;
    JsonNode config = item.get(block);
    try {
      switch (block) {
        case "inProcess" -> {
          if (config == null || !config.isObject()) {
            reader.error(blockPath, "must be a mapping with request and/or response");
            return null;
          }
          return CelTransformProcessor.fromConfig(name, config);
        }
        case "extProcess" -> {
          BackendRef ref = backendRef(reader, blockPath, config, docNamespace);
          return ref == null ? null : builders.extProcess(name, ref, timeout);
        }
        default -> {
          return module(reader, blockPath, config, name, context);
        }
      }
    } catch (ConfigException e) {
      reader.addAll(blockPath, e.problems());
      return null;
    } catch (RuntimeException e) {
      // A factory bug must not take the loader down; report it where it happened.
      reader.error(blockPath, "cannot be built: " + e);
      return null;
    }
  }

  private static BackendRef backendRef(
      ConfigReader reader, String path, JsonNode config, String docNamespace) {
    if (config == null || !config.isObject()) {
      reader.error(path, "must be a mapping with backendRef");
      return null;
    }
    int before = reader.count();
    reader.checkFields(path, config, Set.of("backendRef"));
    ObjectNode ref = reader.object(path, config, "backendRef", true);
    if (ref == null) {
      return null;
    }
    String refPath = path + ".backendRef";
    reader.checkFields(refPath, ref, BACKEND_FIELDS);
    String group = reader.string(refPath, ref, "group", false);
    if (group != null && !group.isEmpty()) {
      reader.error(refPath + ".group", "must be \"\" (core): only Services are supported");
    }
    String kind = reader.string(refPath, ref, "kind", false);
    if (kind != null && !kind.equals("Service")) {
      reader.error(refPath + ".kind", "must be Service, got " + kind);
    }
    String name = reader.string(refPath, ref, "name", true);
    if (name != null && (name.length() > 253 || name.isEmpty())) {
      reader.error(refPath + ".name", "must be 1-253 characters long");
    }
    String namespace = reader.string(refPath, ref, "namespace", false);
    if (namespace != null) {
      checkDnsLabel(reader, refPath + ".namespace", namespace);
    }
    Long port = reader.integer(refPath, ref, "port", true);
    if (port != null && (port < 1 || port > 65535)) {
      reader.error(refPath + ".port", "must be 1-65535, got " + port);
    }
    if (reader.count() > before) {
      return null;
    }
    return new BackendRef(name, namespace != null ? namespace : docNamespace, port.intValue());
  }

  private Processor module(
      ConfigReader reader, String path, JsonNode config, String name, ModuleContext context)
      throws ConfigException {
    if (config == null || !config.isObject()) {
      reader.error(path, "must be a mapping {id, config}");
      return null;
    }
    reader.checkFields(path, config, Set.of("id", "config"));
    String id = reader.string(path, config, "id", true);
    if (id == null) {
      return null;
    }
    ModuleFactory factory = modules.get(id);
    if (factory == null) {
      reader.error(
          path + ".id",
          "unknown module '"
              + id
              + "'; available: "
              + (modules.isEmpty()
                  ? "(none)"
                  : String.join(", ", new TreeSet<>(modules.keySet()))));
      return null;
    }
    try {
      return factory.create(name, config.get("config"), context);
    } catch (ConfigException e) {
      reader.addAll(path + ".config", e.problems());
      return null;
    }
  }

  private static void checkDnsLabel(ConfigReader reader, String field, String value) {
    if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
      reader.error(
          field,
          "must be a DNS label (1-63 lower-case letters, digits and '-'), got '" + value + "'");
    }
  }

  private static void checkDnsSubdomain(ConfigReader reader, String field, String value) {
    if (value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
      reader.error(
          field,
          "must be a DNS subdomain (at most 253 lower-case letters, digits, '-' and '.'), got '"
              + value
              + "'");
    }
  }

  static void closeAll(List<ParsedProcessor> processors) {
    for (ParsedProcessor p : processors) {
      closeQuietly(p.processor());
    }
  }

  static void closeQuietly(Processor p) {
    if (p instanceof AutoCloseable autoCloseable) {
      try {
        autoCloseable.close();
      } catch (Exception e) {
        // Nothing useful to do: the processor is being discarded.
      }
    }
  }
}
