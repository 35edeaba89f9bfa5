package io.payloadprocessor.modules.semanticrouter;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * Config of {@code semantic-router}.
 *
 * @param routes named routes with example utterances (at least one)
 * @param defaultRoute where requests go whose best score is below {@code threshold}
 * @param threshold cosine similarity a route must reach (default 0.3: all-MiniLM-L6-v2 puts
 *     unrelated text around 0.0-0.25 and on-topic text around 0.35-0.7 from a centroid; tune per
 *     route set)
 * @param match compare with each route's {@code centroid} (default) or its {@code nearest} example
 * @param input embed the {@code lastUser} message (default) or {@code allUser} messages joined
 * @param maxInputChars longest text embedded (default 2000): the start of the last user message, or
 *     the end of all user messages
 * @param clearRouteCache ask Envoy to re-route after the headers changed (default true)
 */
public record SemanticRouterConfig(
    List<Route> routes,
    DefaultRoute defaultRoute,
    Double threshold,
    Match match,
    Input input,
    Integer maxInputChars,
    Boolean clearRouteCache) {

  /** Default similarity a route must reach. */
  public static final double DEFAULT_THRESHOLD = 0.3;

  /** Header with the chosen route's name. */
  public static final String ROUTE_HEADER = "x-payload-processor-route";

  /** Header with the best similarity score, 4 decimals. */
  public static final String SCORE_HEADER = "x-payload-processor-route-score";

  /**
   * One route.
   *
   * @param name route name, written to {@value #ROUTE_HEADER}
   * @param examples utterances that should land on this route
   * @param target what choosing the route does
   */
  public record Route(String name, List<String> examples, Target target) {
    public Route {
      examples = examples == null ? List.of() : List.copyOf(examples);
      target = target == null ? Target.NONE : target;
    }
  }

  /** The route taken below the threshold. */
  public record DefaultRoute(String name, Target target) {
    public DefaultRoute {
      name = name == null ? "default" : name;
      target = target == null ? Target.NONE : target;
    }
  }

  /**
   * What choosing a route does.
   *
   * @param headers request headers to set (name to value)
   * @param model value written to the body's top-level {@code model}
   */
  public record Target(Map<String, String> headers, String model) {
    static final Target NONE = new Target(Map.of(), null);

    public Target {
      headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
  }

  /** How a prompt is compared with a route. */
  public enum Match {
    @JsonProperty("centroid")
    CENTROID,
    @JsonProperty("nearest")
    NEAREST
  }

  /** Which user text is embedded. */
  public enum Input {
    @JsonProperty("lastUser")
    LAST_USER,
    @JsonProperty("allUser")
    ALL_USER
  }

  public SemanticRouterConfig {
    routes = routes == null ? List.of() : List.copyOf(routes);
    defaultRoute = defaultRoute == null ? new DefaultRoute(null, null) : defaultRoute;
    threshold = threshold == null ? DEFAULT_THRESHOLD : threshold;
    match = match == null ? Match.CENTROID : match;
    input = input == null ? Input.LAST_USER : input;
    maxInputChars = maxInputChars == null ? 2000 : maxInputChars;
    clearRouteCache = clearRouteCache == null ? Boolean.TRUE : clearRouteCache;
  }
}
