package io.payloadprocessor.modules.semanticrouter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * Routes a request by the meaning of its user text: embeds it with all-MiniLM-L6-v2 in-process,
 * picks the route whose centroid (or nearest example) is most similar, and applies that route's
 * target, or the default route's when the best score is below the threshold. The decision goes to
 * the headers {@value SemanticRouterConfig#ROUTE_HEADER} and {@value
 * SemanticRouterConfig#SCORE_HEADER} and to dynamic metadata {@code semantic_route: {route, score,
 * decision}} ({@code decision} is {@code matched}, {@code below_threshold} or {@code no_input}).
 *
 * <p>CPU bound, so it runs on the server's CPU pool ({@link Execution#CPU}). Measured CPU time per
 * decision on one core of the 2-vCPU build machine: about 6 ms for a 16-token prompt, 15 ms for 64,
 * 52 ms for 256 (the model's limit); see {@code SemanticRouteBenchmark}. Give the processor a
 * timeout accordingly, and expect one decision at a time per core.
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

  @Override
  public Execution execution() {
    return Execution.CPU;
  }

  /** Builds the processor, embedding every route example (loads the model on first use). */
  public SemanticRouterProcessor(SemanticRouterConfig config) {
    List<String> n = new ArrayList<>();
    List<SemanticRouterConfig.Target> t = new ArrayList<>();
    List<List<float[]>> embeddings = new ArrayList<>();
    for (SemanticRouterConfig.Route r : config.routes()) {
      n.add(r.name());
      t.add(r.target());
      List<float[]> vs = new ArrayList<>();
      for (String example : r.examples()) {
        vs.add(MiniLmEmbeddings.embed(example));
      }
      embeddings.add(vs);
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

  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    JsonNode body = exchange.request().json();
    String text = promptText(body);
    String route;
    String decision;
    double score;
    SemanticRouterConfig.Target target;
    if (text.isEmpty()) {
      route = defaultRoute.name();
      target = defaultRoute.target();
      decision = "no_input";
      score = 0;
    } else {
      RouteIndex.Nearest best = index.nearest(RouteIndex.unit(MiniLmEmbeddings.embed(text)));
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
