package io.payloadprocessor.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions.ScalarStyle;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads YAML documents into Jackson trees and remembers the line of every field, so that a config
 * error can name {@code file:line}. Built on SnakeYAML's node graph rather than Jackson's YAML
 * parser because Jackson's tree reader neither resolves aliases ({@code *name} arrives as the
 * string {@code "name"}) nor merge keys ({@code <<: *defaults} arrives as a field named {@code
 * <<}), which made anchors in a config produce misleading errors. Here anchors, aliases and merge
 * keys mean what YAML says; a duplicate key is an error; alias expansion is bounded (SnakeYAML's
 * limit on aliases per collection, and a nesting depth), so a recursive alias is an error too.
 *
 * <p>Plain scalars are typed as Jackson's YAML reader types them (YAML 1.2 core schema): {@code
 * true}/{@code false}, {@code null}/{@code ~}/empty, integers, floats; everything else, including
 * {@code yes}/{@code no} and timestamps, is a string.
 */
final class YamlDocuments {
  /** Deepest nesting accepted (PayloadProcessor documents need about 10). */
  static final int MAX_DEPTH = 64;

  private static final Pattern INT = Pattern.compile("[-+]?(0|[1-9][0-9_]*)");
  private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F_]+");
  private static final Pattern FLOAT =
      Pattern.compile("[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?");

  /** One document: its tree and the 1-based line of each field path. */
  record Document(JsonNode tree, Map<String, Integer> lines) {
    /** The line of {@code field}, or of its nearest enclosing field that has one; 0 if none. */
    int lineOf(String field) {
      String f = field == null ? "" : field;
      while (true) {
        Integer line = lines.get(f);
        if (line != null) {
          return line;
        }
        if (f.isEmpty()) {
          return 0;
        }
        int cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
        f = cut <= 0 ? "" : f.substring(0, cut);
      }
    }
  }

  /** A YAML error with the line it was found at (0 if unknown). */
  static final class YamlError extends Exception {
    private static final long serialVersionUID = 1L;
    final int line;

    /** 1-based document the error is in (counting the documents read before it). */
    int document;

    YamlError(int line, String message) {
      super(message);
      this.line = line;
    }
  }

  private YamlDocuments() {}

  static List<Document> parse(String text) throws YamlError {
    return parse(new StringReader(text));
  }

  /** Every non-empty document of the stream, in order. */
  static List<Document> parse(Reader in) throws YamlError {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(50);
    options.setCodePointLimit(8 * 1024 * 1024);
    Yaml yaml = new Yaml(options);
    List<Document> docs = new ArrayList<>();
    int seen = 0;
    try {
      for (Node root : yaml.composeAll(in)) {
        seen++;
        if (root == null || isNull(root)) {
          continue;
        }
        Map<String, Integer> lines = new HashMap<>();
        JsonNode tree = convert(root, "", lines, 0);
        docs.add(new Document(tree, lines));
      }
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem().strip();
      if (e.getContext() != null && problem.startsWith("found duplicate key")) {
        problem = "duplicate key " + problem.substring("found duplicate key".length()).strip();
      }
      YamlError err = new YamlError(m == null ? 0 : m.getLine() + 1, firstLine(problem));
      err.document = seen + 1;
      throw err;
    } catch (YAMLException e) {
      YamlError err = new YamlError(0, firstLine(e.getMessage()));
      err.document = seen + 1;
      throw err;
    } catch (YamlError e) {
      e.document = seen;
      throw e;
    }
    return docs;
  }

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode s && n.getTag().equals(Tag.NULL) && s.getValue().isEmpty();
  }

  private static JsonNode convert(Node node, String path, Map<String, Integer> lines, int depth)
      throws YamlError {
    int line = node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    lines.putIfAbsent(path, line);
    if (depth > MAX_DEPTH) {
      throw new YamlError(line, "nested deeper than " + MAX_DEPTH + " levels (a recursive alias?)");
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (node instanceof ScalarNode s) {
      return scalar(s);
    }
    if (node instanceof SequenceNode seq) {
      ArrayNode arr = f.arrayNode();
      List<Node> items = seq.getValue();
      for (int i = 0; i < items.size(); i++) {
        arr.add(convert(items.get(i), path + "[" + i + "]", lines, depth + 1));
      }
      return arr;
    }
    MappingNode map = (MappingNode) node;
    ObjectNode obj = f.objectNode();
    Map<String, Node> merged = new LinkedHashMap<>();
    Map<String, Node> explicit = new LinkedHashMap<>();
    for (NodeTuple t : map.getValue()) {
      Node k = t.getKeyNode();
      if (k.getTag().equals(Tag.MERGE)) {
        merge(t.getValueNode(), merged, line);
        continue;
      }
      if (!(k instanceof ScalarNode ks)) {
        throw new YamlError(
            k.getStartMark().getLine() + 1, "mapping keys must be plain strings, not collections");
      }
      if (explicit.put(ks.getValue(), t.getValueNode()) != null) {
        throw new YamlError(
            k.getStartMark().getLine() + 1,
            "duplicate key '" + ks.getValue() + "'" + (path.isEmpty() ? "" : " in " + path));
      }
      lines.put(child(path, ks.getValue()), k.getStartMark().getLine() + 1);
    }
    for (Map.Entry<String, Node> e : merged.entrySet()) {
      if (!explicit.containsKey(e.getKey())) {
        obj.set(e.getKey(), convert(e.getValue(), child(path, e.getKey()), lines, depth + 1));
      }
    }
    for (Map.Entry<String, Node> e : explicit.entrySet()) {
      obj.set(e.getKey(), convert(e.getValue(), child(path, e.getKey()), lines, depth + 1));
    }
    return obj;
  }

  /** {@code <<: *a} or {@code <<: [*a, *b]}: earlier sources win, explicit keys win over all. */
  private static void merge(Node source, Map<String, Node> into, int line) throws YamlError {
    if (source instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode ks) {
          into.putIfAbsent(ks.getValue(), t.getValueNode());
        }
      }
    } else if (source instanceof SequenceNode s) {
      for (Node n : s.getValue()) {
        merge(n, into, line);
      }
    } else {
      throw new YamlError(line, "a merge key (<<) takes a mapping or a list of mappings");
    }
  }

  private static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static JsonNode scalar(ScalarNode s) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    String v = s.getValue();
    Tag tag = s.getTag();
    if (tag.equals(Tag.BINARY)) {
      // Base64 bytes, as Jackson's YAML reader gives them (conformance cases' non-UTF-8 bodies).
      try {
        return f.binaryNode(Base64.getMimeDecoder().decode(v));
      } catch (IllegalArgumentException e) {
        return f.textNode(v);
      }
    }
    // Quoted, block and explicitly !!str scalars are strings; plain ones are typed by their text.
    if (s.getScalarStyle() != ScalarStyle.PLAIN || tag.equals(Tag.STR)) {
      return f.textNode(v);
    }
    switch (v) {
      case "", "~", "null", "Null", "NULL" -> {
        return f.nullNode();
      }
      case "true", "True", "TRUE" -> {
        return f.booleanNode(true);
      }
      case "false", "False", "FALSE" -> {
        return f.booleanNode(false);
      }
      default -> {}
    }
    if (INT.matcher(v).matches()) {
      BigInteger i = new BigInteger(v.replace("_", "").replace("+", ""));
      return i.bitLength() < 64 ? f.numberNode(i.longValue()) : f.numberNode(i);
    }
    if (HEX.matcher(v).matches()) {
      return f.numberNode(new BigInteger(v.substring(2).replace("_", ""), 16).longValue());
    }
    if (FLOAT.matcher(v).matches()) {
      return f.numberNode(Double.parseDouble(v.replace("_", "")));
    }
    return f.textNode(v);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "invalid YAML";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
