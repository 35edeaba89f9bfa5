package io.payloadprocessor.modules.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text a model reads when a message's content has several text parts: the parts joined. APIs
 * and serving stacks join them either directly or with a newline, so each group is offered both
 * ways; a value or a phrase split across two parts is then seen whole, as the model sees it.
 */
public final class JoinedParts {
  /** The separators a group is joined with. */
  private static final String[] SEPARATORS = {"", "\n"};

  private final List<TextSlot> parts;
  private final String text;
  private final int[] offsets;

  private JoinedParts(List<TextSlot> parts, String text, int[] offsets) {
    this.parts = parts;
    this.text = text;
    this.offsets = offsets;
  }

  /** The parts, in order. */
  public List<TextSlot> parts() {
    return parts;
  }

  /** The joined text. */
  public String text() {
    return text;
  }

  /** Every joined view of the groups among {@code slots} ({@link TextSlot#group}). */
  public static List<JoinedParts> of(List<TextSlot> slots) {
    Map<String, List<TextSlot>> groups = new LinkedHashMap<>();
    for (TextSlot s : slots) {
      if (s.group() != null) {
        groups.computeIfAbsent(s.group(), k -> new ArrayList<>()).add(s);
      }
    }
    List<JoinedParts> out = new ArrayList<>();
    for (List<TextSlot> parts : groups.values()) {
      if (parts.size() < 2) {
        continue;
      }
      for (String sep : SEPARATORS) {
        StringBuilder sb = new StringBuilder();
        int[] offsets = new int[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
          if (i > 0) {
            sb.append(sep);
          }
          offsets[i] = sb.length();
          sb.append(parts.get(i).text());
        }
        out.add(new JoinedParts(List.copyOf(parts), sb.toString(), offsets));
      }
    }
    return out;
  }

  /** The part that {@code [start, end)} of the joined text lies within, or -1 if it spans two. */
  public int within(int start, int end) {
    for (int i = 0; i < parts.size(); i++) {
      int s = offsets[i];
      int e = s + parts.get(i).text().length();
      if (start >= s && end <= e) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The pieces of {@code [start, end)} of the joined text in each part: {part index, start, end} in
   * that part's text (separators belong to no part).
   */
  public List<int[]> pieces(int start, int end) {
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      int s = offsets[i];
      int e = s + parts.get(i).text().length();
      int from = Math.max(start, s);
      int to = Math.min(end, e);
      if (from < to) {
        out.add(new int[] {i, from - s, to - s});
      }
    }
    return out;
  }
}
