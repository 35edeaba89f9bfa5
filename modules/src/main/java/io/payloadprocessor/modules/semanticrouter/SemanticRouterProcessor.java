package io.payloadprocessor.modules.semanticrouter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.modules.common.CancelScope;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Routes a request by the meaning of its user text: embeds it with all-MiniLM-L6-v2 in-process,
 * picks the route whose centroid (or nearest example) is most similar, and applies that route's
 * target, or the default route's when the best score is below the threshold. The decision goes to
 * the headers {@value SemanticRouterConfig#ROUTE_HEADER} and {@value
 * SemanticRouterConfig#SCORE_HEADER} and to dynamic metadata {@code semantic_route: {route, score,
 * decision}} ({@code decision} is {@code matched}, {@code below_threshold} or {@code no_input}).
 *
 * <p>{@link Execution#ASYNC}: the embedding is queued on the model's own pool ({@link
 * MiniLmEmbeddings}, which batches concurrent requests into one model call and remembers recent
 * texts) and no thread waits for it; the decision is made on the thread that completes the
 * embedding. Cancelling the step's future before its batch starts drops the embedding. Latency per
 * decision and throughput: see the semantic routing rows of BENCHMARKS.md.
 */
public final class SemanticRouterProcessor implements Processor {
  /** Dynamic metadata key of the decision. */
  public static final String METADATA_KEY = "semantic_route";

  private final List<String> names;
  private final List<SemanticRouterConfig.Target> targets;
  private final SemanticRouterConfig.DefaultRoute defaultRoute;
  private final RouteIndex index;
  private final double threshold;
  private final boolean allUser;
  private final int maxInputChars;
  private final boolean clearRouteCache;
  private final MiniLmEmbeddings model;

  @Override
  public Execution execution() {
    return Execution.ASYNC;
  }

  /**
   * Builds the processor, embedding every route example on the calling thread in one model call
   * (loads the model on first use).
   */
  public SemanticRouterProcessor(SemanticRouterConfig config, MiniLmEmbeddings model) {
    this.model = model;
    List<String> n = new ArrayList<>();
    List<SemanticRouterConfig.Target> t = new ArrayList<>();
    List<String> examples = new ArrayList<>();
    for (SemanticRouterConfig.Route r : config.routes()) {
      n.add(r.name());
      t.add(r.target());
      examples.addAll(r.examples());
    }
    List<float[]> vectors = model.embedAll(examples);
    List<List<float[]>> embeddings = new ArrayList<>();
    int at = 0;
    for (SemanticRouterConfig.Route r : config.routes()) {
      embeddings.add(vectors.subList(at, at + r.examples().size()));
      at += r.examples().size();
    }
    this.names = List.copyOf(n);
    this.targets = List.copyOf(t);
    this.defaultRoute = config.defaultRoute();
    this.index = new RouteIndex(embeddings, config.match() == SemanticRouterConfig.Match.NEAREST);
    this.threshold = config.threshold();
    this.allUser = config.input() == SemanticRouterConfig.Input.ALL_USER;
    this.maxInputChars = config.maxInputChars();
    this.clearRouteCache = config.clearRouteCache();
  }

  /** The synchronous form, for callers that may block (tests, a runner without ASYNC steps). */
  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    return CancelScope.join(onRequestAsync(exchange));
  }

  @Override
  public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
    CancelScope scope = new CancelScope();
    boolean large =
        exchange.request().hasBody()
            && exchange.request().rawBody().length > MiniLmEmbeddings.INLINE_BODY_LIMIT;
    return scope.bind(
        model
            .compute(large, () -> exchange.request().json())
            .thenCompose(
                body -> {
                  String text = promptText(body);
                  if (text.isEmpty()) {
                    return CompletableFuture.completedFuture(decide(body, null));
                  }
                  return scope.track(model.embedAsync(text)).thenApply(v -> decide(body, v));
                }));
  }

  /** The outcome for the prompt's embedding, or for no prompt text when it is null. */
  private Outcome decide(JsonNode body, float[] embedding) {
    String route;
    String decision;
    double score;
    SemanticRouterConfig.Target target;
    if (embedding == null) {
      route = defaultRoute.name();
      target = defaultRoute.target();
      decision = "no_input";
      score = 0;
    } else {
      RouteIndex.Nearest best = index.nearest(embedding);
      score = best.score();
      if (score >= threshold) {
        route = names.get(best.route());
        target = targets.get(best.route());
        decision = "matched";
      } else {
        route = defaultRoute.name();
        target = defaultRoute.target();
        decision = "below_threshold";
      }
    }
    double rounded = Math.round(score * 10000) / 10000.0;
    Mutation m =
        Mutation.create()
            .setHeader(SemanticRouterConfig.ROUTE_HEADER, route)
            .setHeader(
                SemanticRouterConfig.SCORE_HEADER, String.format(Locale.ROOT, "%.4f", score));
    target.headers().forEach(m::setHeader);
    if (target.model() != null && body.isObject()) {
      ObjectNode copy = ((ObjectNode) body).deepCopy();
      copy.put("model", target.model());
      m.replaceJson(copy);
    }
    Map<String, Object> md = new LinkedHashMap<>();
    md.put("route", route);
    md.put("score", rounded);
    md.put("decision", decision);
    m.metadata(METADATA_KEY, md);
    if (clearRouteCache) {
      m.clearRouteCache();
    }
    return Outcome.proceed(m);
  }

  private String promptText(JsonNode body) {
    List<String> messages = UserText.userMessages(body);
    if (messages.isEmpty()) {
      return "";
    }
    if (allUser) {
      String all = String.join("\n", messages);
      // The most recent turns matter most: keep the end.
      return all.length() > maxInputChars ? all.substring(all.length() - maxInputChars) : all;
    }
    String last = messages.get(messages.size() - 1);
    return last.length() > maxInputChars ? last.substring(0, maxInputChars) : last;
  }
}
