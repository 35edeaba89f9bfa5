package io.payloadprocessor.inprocess;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.CelByteString;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelEvaluationListener;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.HttpMessage;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CEL environment of InProcess processors, with its cost bounds.
 *
 * <p>Variables: {@code request.body} (bytes), {@code request.headers} (map of lower-case name to
 * value, repeated headers joined with ","), {@code request.method}, {@code request.path}; in
 * response transforms also {@code response.body}, {@code response.headers} and {@code
 * response.status} (int). Function: {@code json(bytes)} / {@code json(string)} parses JSON into
 * maps, lists, strings, ints, doubles, bools and null. The standard macros ({@code has}, {@code
 * all}, {@code exists}, {@code exists_one}, {@code map}, {@code filter}) are available.
 *
 * <p>Limits (every expression, fixed so that a config cannot make the data plane slow):
 *
 * <ul>
 *   <li>{@value #MAX_EXPRESSION_LENGTH} characters per expression and parse nesting depth {@value
 *       #MAX_PARSE_DEPTH} (checked at load time);
 *   <li>{@value #MAX_ITERATIONS} comprehension iterations per evaluation, all comprehensions of the
 *       expression together (CEL-Java's iteration budget);
 *   <li>{@value #MAX_STEPS} evaluation steps (expression nodes evaluated, counted through an
 *       evaluation listener) per evaluation.
 * </ul>
 *
 * An evaluation over a limit fails like any other evaluation error: the processor's failure mode
 * applies. See {@code docs/cel.md}.
 */
public final class CelEnvironment {
  /** Longest expression accepted, in code points. */
  public static final int MAX_EXPRESSION_LENGTH = 4096;

  /** Deepest parse nesting accepted. */
  public static final int MAX_PARSE_DEPTH = 64;

  /** Comprehension iterations per evaluation. */
  public static final int MAX_ITERATIONS = 1000;

  /** Evaluation steps (evaluated expression nodes) per evaluation. */
  public static final int MAX_STEPS = 10_000;

  /** Fields of {@code request}. */
  static final Set<String> REQUEST_FIELDS = Set.of("body", "headers", "method", "path");

  /** Fields of {@code response}. */
  static final Set<String> RESPONSE_FIELDS = Set.of("body", "headers", "status");

  static final String JSON_BYTES = "json_bytes";
  static final String JSON_STRING = "json_string";

  private static final CelOptions OPTIONS =
      CelOptions.current()
          .maxExpressionCodePointSize(MAX_EXPRESSION_LENGTH)
          .maxParseRecursionDepth(MAX_PARSE_DEPTH)
          .comprehensionMaxIterations(MAX_ITERATIONS)
          // JSON numbers carry no int/double distinction: 100 and 100.0 must compare equal.
          .enableHeterogeneousNumericComparisons(true)
          .build();

  private static final Cel REQUEST_CEL = build(false);
  private static final Cel RESPONSE_CEL = build(true);

  private CelEnvironment() {}

  private static Cel build(boolean withResponse) {
    var builder =
        CelFactory.standardCelBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("request", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addFunctionDeclarations(
                CelFunctionDecl.newFunctionDeclaration(
                    "json",
                    CelOverloadDecl.newGlobalOverload(JSON_BYTES, SimpleType.DYN, SimpleType.BYTES),
                    CelOverloadDecl.newGlobalOverload(
                        JSON_STRING, SimpleType.DYN, SimpleType.STRING)))
            .addFunctionBindings(
                CelFunctionBinding.from(JSON_BYTES, CelByteString.class, CelEnvironment::jsonBytes),
                CelFunctionBinding.from(
                    JSON_STRING, String.class, s -> parseJson(s.getBytes(StandardCharsets.UTF_8))));
    if (withResponse) {
      builder.addVar("response", MapType.create(SimpleType.STRING, SimpleType.DYN));
    }
    return builder.build();
  }

  /** Where an expression may run: request transforms see only {@code request}. */
  public enum Scope {
    REQUEST,
    RESPONSE
  }

  /** A compiled expression and what it reads ({@code request.body}, {@code response.body}). */
  public static final class Compiled {
    private final String source;
    private final CelRuntime.Program program;
    private final Set<String> reads;
    private final boolean iterates;

    Compiled(String source, CelRuntime.Program program, Set<String> reads, boolean iterates) {
      this.source = source;
      this.program = program;
      this.reads = Set.copyOf(reads);
      this.iterates = iterates;
    }

    public String source() {
      return source;
    }

    /** Variables fields read, e.g. {@code request.body}, {@code response.headers}. */
    public Set<String> reads() {
      return reads;
    }

    CelRuntime.Program program() {
      return program;
    }
  }

  /**
   * Parses, type-checks and plans an expression.
   *
   * @throws IllegalArgumentException with CEL's diagnostics (position and caret) when it does not
   *     compile, refers to unknown fields of {@code request}/{@code response}, or exceeds the size
   *     limits
   */
  public static Compiled compile(String source, Scope scope) {
    Cel cel = scope == Scope.REQUEST ? REQUEST_CEL : RESPONSE_CEL;
    CelAbstractSyntaxTree ast;
    try {
      ast = cel.compile(source).getAst();
    } catch (CelValidationException e) {
      throw new IllegalArgumentException("CEL does not compile: " + e.getMessage(), e);
    }
    Set<String> reads = new HashSet<>();
    List<String> unknown =
        CelNavigableAst.fromAst(ast)
            .getRoot()
            .allNodes()
            .map(node -> reference(node, reads))
            .filter(s -> s != null)
            .toList();
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", unknown));
    }
    // Without a comprehension every node is evaluated at most once, so the step count is bounded
    // by the expression's size (MAX_EXPRESSION_LENGTH < MAX_STEPS): no need to count steps.
    boolean iterates =
        CelNavigableAst.fromAst(ast)
            .getRoot()
            .allNodes()
            .anyMatch(n -> n.expr().getKind() == CelExpr.ExprKind.Kind.COMPREHENSION);
    try {
      return new Compiled(source, cel.createProgram(ast), reads, iterates);
    } catch (CelEvaluationException e) {
      throw new IllegalArgumentException("CEL cannot be planned: " + e.getMessage(), e);
    }
  }

  /**
   * Records what a node reads of {@code request}/{@code response}; returns a problem for unknown
   * fields. Index access with a constant ({@code request["body"]}) counts like a field; any other
   * use of the whole variable counts as reading everything.
   */
  private static String reference(CelNavigableExpr node, Set<String> reads) {
    CelExpr expr = node.expr();
    if (expr.getKind() == CelExpr.ExprKind.Kind.SELECT) {
      CelExpr operand = expr.select().operand();
      String var = identName(operand);
      if (var != null) {
        return field(var, expr.select().field(), reads);
      }
      return null;
    }
    if (expr.getKind() == CelExpr.ExprKind.Kind.IDENT) {
      String var = identName(expr);
      if (var == null) {
        return null;
      }
      var parent = node.parent();
      if (parent.isPresent()) {
        CelExpr p = parent.get().expr();
        if (p.getKind() == CelExpr.ExprKind.Kind.SELECT) {
          return null; // handled at the select node
        }
        if (p.getKind() == CelExpr.ExprKind.Kind.CALL
            && p.call().function().equals("_[_]")
            && p.call().args().size() == 2
            && p.call().args().get(0).id() == expr.id()) {
          CelExpr key = p.call().args().get(1);
          if (key.getKind() == CelExpr.ExprKind.Kind.CONSTANT
              && key.constant().getKind() == CelConstant.Kind.STRING_VALUE) {
            return field(var, key.constant().stringValue(), reads);
          }
        }
      }
      Set<String> all = var.equals("request") ? REQUEST_FIELDS : RESPONSE_FIELDS;
      all.forEach(f -> reads.add(var + "." + f));
      return null;
    }
    return null;
  }

  private static String identName(CelExpr expr) {
    if (expr.getKind() != CelExpr.ExprKind.Kind.IDENT) {
      return null;
    }
    String name = expr.ident().name();
    return name.equals("request") || name.equals("response") ? name : null;
  }

  private static String field(String var, String field, Set<String> reads) {
    Set<String> allowed = var.equals("request") ? REQUEST_FIELDS : RESPONSE_FIELDS;
    if (!allowed.contains(field)) {
      return "unknown field "
          + var
          + "."
          + field
          + "; "
          + var
          + " has "
          + String.join(", ", allowed.stream().sorted().toList());
    }
    reads.add(var + "." + field);
    return null;
  }

  private static void restore(JsonResolver previous) {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }

  /** Thrown by the step counter; the evaluation fails with it as the cause. */
  static final class CostLimitExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CostLimitExceeded() {
      super("CEL evaluation exceeded " + MAX_STEPS + " steps");
    }
  }

  /**
   * Resolves {@code json(bytes)} during one evaluation, so that {@code json(request.body)} uses the
   * body tree parsed once per exchange and a body that is not JSON becomes a {@link BodyException}.
   */
  interface JsonResolver {
    /** The CEL value of {@code json(bytes)}. */
    Object json(CelByteString bytes);
  }

  /**
   * The resolver of the evaluation running on this thread. CEL-Java evaluates synchronously on the
   * caller's thread; function bindings must be immutable (Error Prone enforces it), so per-exchange
   * state reaches the binding this way rather than through a capturing lambda.
   */
  private static final ThreadLocal<JsonResolver> CURRENT = new ThreadLocal<>();

  private static Object jsonBytes(CelByteString bytes) {
    JsonResolver resolver = CURRENT.get();
    return resolver != null ? resolver.json(bytes) : parseJson(bytes.toByteArray());
  }

  /** json() of something that is not a message body: bad JSON is an evaluation error. */
  static Object parseJson(byte[] bytes) {
    try {
      return CelValues.fromJson(HttpMessage.parseJson(bytes));
    } catch (BodyException e) {
      throw new IllegalArgumentException("json(): argument is not valid JSON", e);
    }
  }

  /** Evaluates under the step limit, with {@code resolver} answering {@code json(bytes)}. */
  static Object evaluate(Compiled compiled, Map<String, ?> variables, JsonResolver resolver)
      throws CelEvaluationException {
    JsonResolver previousResolver = CURRENT.get();
    if (!compiled.iterates) {
      CURRENT.set(resolver);
      try {
        return compiled.program().eval(variables);
      } finally {
        restore(previousResolver);
      }
    }
    int[] steps = {0};
    CelEvaluationListener counter =
        (expr, value) -> {
          if (++steps[0] > MAX_STEPS) {
            throw new CostLimitExceeded();
          }
        };
    JsonResolver previous = CURRENT.get();
    CURRENT.set(resolver);
    try {
      return compiled.program().trace(variables, counter);
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }
}
