package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Changes text inside a JSON document the way the client wrote it: each edit replaces a range of a
 * string value's decoded text, and is spliced into the raw document at the bytes that range was
 * written with (escapes included), so every other byte (numbers as written, key order, whitespace,
 * the escapes of untouched text) stays exactly as it was. Re-serialising a parsed tree would not:
 * {@code 1e999999} would become {@code "Infinity"}, {@code 0.1000000000000000055} would become
 * {@code 0.1}. Values that are JSON documents themselves (tool-call {@code arguments}) are edited
 * one level down the same way ({@link TextSlot#innerPath}). An integer value that is edited is
 * replaced whole by a string holding its edited text.
 *
 * <p>Written here because Jackson (the project's JSON library) can locate tokens but has no
 * in-place editing; the splicing itself is a few lines over its token offsets.
 */
public final class JsonSplicer {
  private record Edit(TextSlot slot, int start, int end, String text) {}

  private final List<Edit> edits = new ArrayList<>();

  /** Replaces {@code [start, end)} of {@code slot}'s decoded text by {@code text}. */
  public JsonSplicer replace(TextSlot slot, int start, int end, String text) {
    if (slot.path() == null) {
      throw new IllegalArgumentException("slot has no location in a document");
    }
    edits.add(new Edit(slot, start, end, text));
    return this;
  }

  /** Replaces the whole text of {@code slot}. */
  public JsonSplicer replaceAll(TextSlot slot, String text) {
    return replace(slot, 0, slot.text().length(), text);
  }

  public boolean isEmpty() {
    return edits.isEmpty();
  }

  /**
   * A body (the bytes the slots were found in, any of the encodings JSON parsers detect: UTF-8 with
   * or without a byte-order mark, UTF-16, UTF-32) with every edit applied, in the same encoding.
   */
  public byte[] applyToBody(byte[] body) {
    if (edits.isEmpty()) {
      return body;
    }
    java.nio.charset.Charset cs = charset(body);
    String text = new String(body, cs);
    String bom = !text.isEmpty() && text.charAt(0) == '\ufeff' ? "\ufeff" : "";
    return (bom + apply(text.substring(bom.length()))).getBytes(cs);
  }

  /** The encoding of a JSON body, detected as RFC 4627 and Jackson do (BOM, then zero bytes). */
  static java.nio.charset.Charset charset(byte[] b) {
    int b0 = b.length > 0 ? b[0] & 0xff : -1;
    int b1 = b.length > 1 ? b[1] & 0xff : -1;
    int b2 = b.length > 2 ? b[2] & 0xff : -1;
    int b3 = b.length > 3 ? b[3] & 0xff : -1;
    if (b0 == 0 && b1 == 0 && (b2 == 0 || b2 == 0xfe)) {
      return java.nio.charset.Charset.forName("UTF-32BE");
    }
    if (b0 == 0xff && b1 == 0xfe && b2 == 0 && b3 == 0) {
      return java.nio.charset.Charset.forName("UTF-32LE");
    }
    if ((b0 == 0xfe && b1 == 0xff) || (b0 == 0 && b1 > 0)) {
      return java.nio.charset.StandardCharsets.UTF_16BE;
    }
    if ((b0 == 0xff && b1 == 0xfe) || (b0 > 0 && b1 == 0 && b2 > 0)) {
      return java.nio.charset.StandardCharsets.UTF_16LE;
    }
    if (b0 > 0 && b1 == 0 && b2 == 0 && b3 == 0) {
      return java.nio.charset.Charset.forName("UTF-32LE");
    }
    return java.nio.charset.StandardCharsets.UTF_8;
  }

  /**
   * {@code json} (the document the slots were found in) with every edit applied. Edits that overlap
   * an earlier one of the same value are dropped.
   *
   * @throws IllegalArgumentException when a slot's location is not in {@code json}
   */
  public String apply(String json) {
    if (edits.isEmpty()) {
      return json;
    }
    Map<String, List<Edit>> byPath = new LinkedHashMap<>();
    for (Edit e : edits) {
      byPath.computeIfAbsent(e.slot().path(), k -> new ArrayList<>()).add(e);
    }
    Map<String, int[]> spans = spans(json, byPath.keySet());
    List<RawEdit> raw = new ArrayList<>();
    for (Map.Entry<String, List<Edit>> e : byPath.entrySet()) {
      int[] span = spans.get(e.getKey());
      if (span == null) {
        throw new IllegalArgumentException("no value at " + e.getKey());
      }
      raw.addAll(valueEdits(json, span, e.getValue(), false));
    }
    raw.sort(Comparator.comparingInt(RawEdit::start));
    StringBuilder sb = new StringBuilder(json.length() + 64);
    int pos = 0;
    for (RawEdit r : raw) {
      if (r.start() < pos) {
        continue;
      }
      sb.append(json, pos, r.start()).append(r.text());
      pos = r.end();
    }
    return sb.append(json, pos, json.length()).toString();
  }

  /** A replacement of raw characters {@code [start, end)} of the document. */
  private record RawEdit(int start, int end, String text) {}

  /**
   * The raw edits for one value: span[0..1] its literal (quotes included), span[2] 1 if number;
   * {@code nested}: the value is inside a value's document, where every edit is direct.
   */
  private static List<RawEdit> valueEdits(
      String json, int[] span, List<Edit> edits, boolean nested) {
    if (span[2] == 1) {
      // An integer: the new text of the whole number becomes a JSON string.
      TextSlot slot = edits.get(0).slot();
      String text = applyDecoded(slot.text(), edits);
      return List.of(new RawEdit(span[0], span[1], '"' + escape(text) + '"'));
    }
    Literal outer = Literal.decode(json, span[0] + 1, span[1] - 1);
    List<Edit> direct = new ArrayList<>();
    Map<String, List<Edit>> inner = new LinkedHashMap<>();
    for (Edit e : edits) {
      if (nested || e.slot().innerPath() == null) {
        direct.add(e);
      } else {
        inner.computeIfAbsent(e.slot().innerPath(), k -> new ArrayList<>()).add(e);
      }
    }
    List<int[]> ranges = new ArrayList<>(); // decoded [start, end) of the outer value
    List<String> texts = new ArrayList<>(); // their new decoded text
    for (Edit e : direct) {
      ranges.add(new int[] {e.start(), e.end()});
      texts.add(e.text());
    }
    if (!inner.isEmpty()) {
      // The value is a JSON document: locate the inner values in its decoded text.
      String doc = outer.text();
      Map<String, int[]> innerSpans = spans(doc, inner.keySet());
      for (Map.Entry<String, List<Edit>> ie : inner.entrySet()) {
        int[] s = innerSpans.get(ie.getKey());
        if (s == null) {
          throw new IllegalArgumentException("no value at " + ie.getKey());
        }
        for (RawEdit r : valueEdits(doc, s, ie.getValue(), true)) {
          ranges.add(new int[] {r.start(), r.end()});
          texts.add(r.text());
        }
      }
    }
    List<RawEdit> out = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      int[] r = ranges.get(i);
      out.add(new RawEdit(outer.rawStart(r[0]), outer.rawStart(r[1]), escape(texts.get(i))));
    }
    return out;
  }

  private static String applyDecoded(String text, List<Edit> edits) {
    List<Edit> sorted = new ArrayList<>(edits);
    sorted.sort(Comparator.comparingInt(Edit::start));
    StringBuilder sb = new StringBuilder();
    int pos = 0;
    for (Edit e : sorted) {
      if (e.start() < pos) {
        continue;
      }
      sb.append(text, pos, e.start()).append(e.text());
      pos = e.end();
    }
    return sb.append(text, pos, text.length()).toString();
  }

  /**
   * Where the values at {@code pointers} are written in {@code json}: pointer to {start of the
   * literal, end of the literal, 1 if it is a number}. Each value token's position in the document
   * is compared with the wanted pointers from its own name or index upwards (wanted pointers are
   * indexed by their last segment), so no pointer string is built per token.
   */
  static Map<String, int[]> spans(String json, Set<String> pointers) {
    Map<String, List<String[]>> byLeaf = new HashMap<>();
    for (String p : pointers) {
      String[] segments = segments(p);
      String leaf = segments.length == 0 ? "" : segments[segments.length - 1];
      byLeaf.computeIfAbsent(leaf, k -> new ArrayList<>()).add(segments);
    }
    Map<String, int[]> out = new HashMap<>();
    try (JsonParser p =
        io.payloadprocessor.runtime.HttpMessage.JSON.getFactory().createParser(json)) {
      JsonToken t;
      while ((t = p.nextToken()) != null && out.size() < pointers.size()) {
        boolean string = t == JsonToken.VALUE_STRING;
        if (!string && t != JsonToken.VALUE_NUMBER_INT) {
          continue;
        }
        JsonStreamContext ctx = p.getParsingContext();
        List<String[]> candidates = byLeaf.get(segment(ctx));
        String[] match = null;
        for (int i = 0; candidates != null && i < candidates.size() && match == null; i++) {
          if (at(ctx, candidates.get(i))) {
            match = candidates.get(i);
          }
        }
        if (match == null) {
          continue;
        }
        int start = (int) p.currentTokenLocation().getCharOffset();
        p.getText(); // finishes the token, so the current location is just past it
        int end = (int) p.currentLocation().getCharOffset();
        out.put(pointer(match), new int[] {start, end, string ? 0 : 1});
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON document", e);
    }
    return out;
  }

  /** The unescaped reference tokens of a JSON Pointer ("" is the whole document). */
  private static String[] segments(String pointer) {
    if (pointer.isEmpty()) {
      return new String[0];
    }
    String[] parts = pointer.substring(1).split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      parts[i] = parts[i].replace("~1", "/").replace("~0", "~");
    }
    return parts;
  }

  private static String pointer(String[] segments) {
    StringBuilder sb = new StringBuilder();
    for (String s : segments) {
      sb.append('/').append(AiBodies.pointerToken(s));
    }
    return sb.toString();
  }

  /** The name or index of the value the parser is at within its container ("" at the root). */
  private static String segment(JsonStreamContext ctx) {
    if (ctx.inObject()) {
      return ctx.getCurrentName();
    }
    return ctx.inArray() ? Integer.toString(ctx.getCurrentIndex()) : "";
  }

  /** Whether the parser's position is exactly {@code segments}. */
  private static boolean at(JsonStreamContext ctx, String[] segments) {
    JsonStreamContext c = ctx;
    for (int i = segments.length - 1; i >= 0; i--) {
      if (c == null || c.inRoot() || !segments[i].equals(segment(c))) {
        return false;
      }
      c = c.getParent();
    }
    return c != null && c.inRoot();
  }

  /** JSON string-literal content for {@code s}: quotes, backslashes and controls escaped. */
  public static String escape(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String rep = null;
      if (c == '"') {
        rep = "\\\"";
      } else if (c == '\\') {
        rep = "\\\\";
      } else if (c == '\n') {
        rep = "\\n";
      } else if (c == '\r') {
        rep = "\\r";
      } else if (c == '\t') {
        rep = "\\t";
      } else if (c < 0x20) {
        rep = String.format("\\u%04x", (int) c);
      }
      if (rep != null) {
        if (sb == null) {
          sb = new StringBuilder(s.length() + 8).append(s, 0, i);
        }
        sb.append(rep);
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  /**
   * The content of one string literal, decoded, with where each decoded character starts in the raw
   * document ({@code rawStart(length)} is where the content ends).
   */
  record Literal(String text, int[] starts) {
    int rawStart(int decodedIndex) {
      return starts[decodedIndex];
    }

    /** Decodes raw characters {@code [from, to)} (a literal's content, between its quotes). */
    static Literal decode(String raw, int from, int to) {
      StringBuilder sb = new StringBuilder(to - from);
      int[] starts = new int[to - from + 1];
      int n = 0;
      int i = from;
      while (i < to) {
        char c = raw.charAt(i);
        starts[n++] = i;
        if (c != '\\') {
          sb.append(c);
          i++;
          continue;
        }
        char e = raw.charAt(i + 1);
        switch (e) {
          case 'u' -> {
            sb.append((char) Integer.parseInt(raw.substring(i + 2, i + 6), 16));
            i += 6;
          }
          case 'n' -> {
            sb.append('\n');
            i += 2;
          }
          case 'r' -> {
            sb.append('\r');
            i += 2;
          }
          case 't' -> {
            sb.append('\t');
            i += 2;
          }
          case 'b' -> {
            sb.append('\b');
            i += 2;
          }
          case 'f' -> {
            sb.append('\f');
            i += 2;
          }
          default -> {
            // \" \\ \/
            sb.append(e);
            i += 2;
          }
        }
      }
      starts[n] = to;
      return new Literal(sb.toString(), java.util.Arrays.copyOf(starts, n + 1));
    }
  }
}
