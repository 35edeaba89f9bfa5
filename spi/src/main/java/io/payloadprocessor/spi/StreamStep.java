package io.payloadprocessor.spi;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a stream processor releases after one event: the events to pass on now (possibly none while
 * it holds text back), or a block ({@link #block()}, null when the stream goes on) that ends the
 * stream with an in-band error. Metadata is merged into the exchange's dynamic metadata.
 */
public record StreamStep(List<SseEvent> emit, @Nullable Block block, Map<String, Object> metadata) {

  public static StreamStep pass(SseEvent event) {
    return new StreamStep(List.of(event), null, Map.of());
  }

  public static StreamStep emit(List<SseEvent> events) {
    return new StreamStep(List.copyOf(events), null, Map.of());
  }

  public static StreamStep hold() {
    return new StreamStep(List.of(), null, Map.of());
  }

  /** Stop the stream: {@code before} are released first, then the in-band error. */
  public static StreamStep block(List<SseEvent> before, Block block) {
    return new StreamStep(List.copyOf(before), block, Map.of());
  }

  public StreamStep withMetadata(Map<String, Object> md) {
    return new StreamStep(emit, block, md);
  }
}
