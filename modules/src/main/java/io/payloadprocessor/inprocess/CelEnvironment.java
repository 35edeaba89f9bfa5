package io.payloadprocessor.inprocess;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelBuilder;
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
import dev.cel.extensions.CelOptionalLibrary;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelVariableResolver;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CEL environment of InProcess processors, with its cost bounds.
 *
 * <p>Variables: {@code request.body} (bytes), {@code request.headers} (map of lower-case name to
 * value, repeated headers joined with ","), {@code request.method}, {@code request.path}; in
 * response transforms also {@code response.body}, {@code response.headers} and {@code
 * response.status} (int); and the WG AI Gateway's {@code k8s.*} vocabulary ({@link CelVocabulary}).
 * Function: {@code json(bytes)} / {@code json(string)} parses JSON into maps, lists, strings, ints,
 * doubles, bools and null. The standard macros and CEL's optional values ({@code x.?field}, {@code
 * optional.of}, {@code optional.none()}, {@code orValue}) are available.
 *
 * <p>Bounds (fixed, so that a config cannot make the data plane slow or take its memory):
 *
 * <ul>
 *   <li>at load time: {@value #MAX_EXPRESSION_LENGTH} characters per expression, parse nesting
 *       depth {@value #MAX_PARSE_DEPTH}; refused are expressions whose cost grows with the product
 *       of two input sizes or that the step deadline could not interrupt ({@link #compile});
 *   <li>at run time: {@value #MAX_ITERATIONS} comprehension iterations per evaluation (CEL-Java's
 *       iteration budget), and the steps, value sizes, total size and interruption of {@link
 *       EvaluationBudget}.
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
  public static final int MAX_STEPS = EvaluationBudget.MAX_STEPS;

  /** Largest RE2 program a {@code matches()} pattern may compile to. */
  public static final int MAX_REGEX_PROGRAM_SIZE = 1000;

  /** Fields of {@code request}. */
  static final Set<String> REQUEST_FIELDS = Set.of("body", "headers", "method", "path");

  /** Fields of {@code response}. */
  static final Set<String> RESPONSE_FIELDS = Set.of("body", "headers", "status");

  static final String JSON_BYTES = "json_bytes";
  static final String JSON_STRING = "json_string";

  /** Overloads whose result can be larger than any one of their arguments. */
  private static final Set<String> GROWING =
      Set.of("add_string", "add_bytes", "add_list", JSON_STRING);

  /** Overloads that copy a string or bytes argument whole. */
  private static final Set<String> COPYING = Set.of("bytes_to_string", "string_to_bytes");

  /** Functions that copy their argument whole (a body read inside a macro must not meet them). */
  private static final Set<String> COPYING_FUNCTIONS = Set.of("string", "bytes", "_+_");

  private static final Pattern VOCABULARY_TOKEN = Pattern.compile("\\bk8s(\\.[A-Za-z_]+)+");

  private static final CelOptions OPTIONS =
      CelOptions.current()
          .maxExpressionCodePointSize(MAX_EXPRESSION_LENGTH)
          .maxParseRecursionDepth(MAX_PARSE_DEPTH)
          .comprehensionMaxIterations(MAX_ITERATIONS)
          .maxRegexProgramSize(MAX_REGEX_PROGRAM_SIZE)
          .enableOptionalSyntax(true)
          // JSON numbers carry no int/double distinction: 100 and 100.0 must compare equal.
          .enableHeterogeneousNumericComparisons(true)
          .build();

  private static final Cel REQUEST_CEL = build(false);
  private static final Cel RESPONSE_CEL = build(true);

  private CelEnvironment() {}

  private static Cel build(boolean withResponse) {
    CelBuilder builder =
        CelFactory.legacyCelBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addCompilerLibraries(CelOptionalLibrary.INSTANCE)
            .addRuntimeLibraries(CelOptionalLibrary.INSTANCE)
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
    CelVocabulary.REQUEST_NAMES.forEach(builder::addVar);
    if (withResponse) {
      builder.addVar("response", MapType.create(SimpleType.STRING, SimpleType.DYN));
      CelVocabulary.RESPONSE_NAMES.forEach(builder::addVar);
    }
    return builder.build();
  }

  /** Where an expression may run: request transforms see only {@code request}. */
  public enum Scope {
    REQUEST,
    RESPONSE
  }

  /** A compiled expression and what it reads ({@code request.body}, {@code k8s.openai.model}). */
  public static final class Compiled {
    private final String source;
    private final CelRuntime.Program program;
    private final Set<String> reads;
    private final boolean bounded;

    Compiled(String source, CelRuntime.Program program, Set<String> reads, boolean bounded) {
      this.source = source;
      this.program = program;
      this.reads = Set.copyOf(reads);
      this.bounded = bounded;
    }

    public String source() {
      return source;
    }

    /**
     * What the expression reads: fields of the variables ({@code request.body}, {@code
     * response.headers}) and vocabulary names, with the body a vocabulary name is computed from.
     */
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
   * <p>Refused besides CEL's own errors, because the run-time bounds could only stop them after the
   * fact or not at all:
   *
   * <ul>
   *   <li>a body copied inside a macro ({@code all}, {@code exists}, {@code exists_one}, {@code
   *       map}, {@code filter}) over a list taken from the message: {@code request.body} or {@code
   *       response.body} as the argument of {@code string()} or {@code bytes()} or as an operand of
   *       {@code +} in the macro's per-element expression copies the whole body once per element
   *       (over a list literal, such as {@code [1, 2, 3].all(...)}, the copies are bounded by the
   *       expression's size, and the run-time budget still applies);
   *   <li>a {@code matches()} pattern that is not a string literal: a pattern taken from the
   *       message is compiled and run inside one step, which the deadline cannot interrupt.
   * </ul>
   *
   * @throws IllegalArgumentException with CEL's diagnostics (position and caret) when it does not
   *     compile, refers to unknown fields or names, or is refused as above
   */
  public static Compiled compile(String source, Scope scope) {
    Cel cel = scope == Scope.REQUEST ? REQUEST_CEL : RESPONSE_CEL;
    CelAbstractSyntaxTree ast;
    try {
      ast = cel.compile(source).getAst();
    } catch (CelValidationException e) {
      throw new IllegalArgumentException(
          "CEL does not compile: " + e.getMessage() + vocabularyHint(source, scope), e);
    }
    Set<String> reads = new LinkedHashSet<>();
    List<String> problems = new ArrayList<>();
    int copies = 0;
    boolean growing = false;
    for (CelNavigableExpr node :
        (Iterable<CelNavigableExpr>) CelNavigableAst.fromAst(ast).getRoot().allNodes()::iterator) {
      String problem = reference(node, reads);
      if (problem != null) {
        problems.add(problem);
      }
      CelExpr expr = node.expr();
      switch (expr.getKind()) {
        case COMPREHENSION -> {
          growing = true;
          // Over a list written in the expression the copies are as many as its elements, which
          // the expression's size bounds; over a list from the message they grow with it.
          if (expr.comprehension().iterRange().getKind() != CelExpr.ExprKind.Kind.LIST) {
            checkLoop(expr.comprehension().loopStep(), problems);
            checkLoop(expr.comprehension().loopCondition(), problems);
          }
        }
        case CALL -> {
          if (expr.call().function().equals("matches")) {
            List<CelExpr> args = expr.call().args();
            CelExpr pattern = args.get(args.size() - 1);
            if (pattern.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
              problems.add(
                  "the pattern of matches() must be a string literal (a pattern taken from the"
                      + " message would be compiled and run where the step's deadline cannot stop"
                      + " it)");
            }
          }
          List<String> overloads =
              ast.getReference(expr.id()).<List<String>>map(r -> r.overloadIds()).orElse(List.of());
          if (overloads.stream().anyMatch(GROWING::contains)) {
            growing = true;
          }
          if (overloads.stream().anyMatch(COPYING::contains)) {
            copies++;
          }
        }
        default -> {}
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", new LinkedHashSet<>(problems)));
    }
    // Without a macro every node is evaluated at most once; without concatenation, json(string)
    // and with at most one whole copy of a string or bytes, no value outgrows the inputs by more
    // than one copy and the step count is bounded by the expression's size (MAX_EXPRESSION_LENGTH
    // < MAX_STEPS): such expressions need no counting listener (CEL's tracing evaluator is slower).
    boolean bounded = !growing && copies <= 1;
    try {
      return new Compiled(source, cel.createProgram(ast), reads, bounded);
    } catch (CelEvaluationException e) {
      throw new IllegalArgumentException("CEL cannot be planned: " + e.getMessage(), e);
    }
  }

  /** Refuses a body copied in a macro's per-element expression. */
  private static void checkLoop(CelExpr loop, List<String> problems) {
    CelNavigableExpr.fromExpr(loop)
        .allNodes()
        .forEach(
            n -> {
              String body = bodyRead(n.expr());
              if (body == null || n.parent().isEmpty()) {
                return;
              }
              CelExpr parent = n.parent().get().expr();
              if (parent.getKind() == CelExpr.ExprKind.Kind.CALL
                  && COPYING_FUNCTIONS.contains(parent.call().function())) {
                problems.add(
                    body
                        + " is copied inside a macro (all/exists/exists_one/map/filter): that copies"
                        + " the whole body once per element; copy it once, outside the macro");
              }
            });
  }

  /** "request.body" / "response.body" when {@code expr} reads that body, else null. */
  private static String bodyRead(CelExpr expr) {
    if (expr.getKind() == CelExpr.ExprKind.Kind.SELECT
        && expr.select().field().equals("body")
        && identName(expr.select().operand()) != null) {
      return identName(expr.select().operand()) + ".body";
    }
    if (expr.getKind() == CelExpr.ExprKind.Kind.CALL
        && expr.call().function().equals("_[_]")
        && expr.call().args().size() == 2
        && identName(expr.call().args().get(0)) != null) {
      CelExpr key = expr.call().args().get(1);
      if (key.getKind() == CelExpr.ExprKind.Kind.CONSTANT
          && key.constant().getKind() == CelConstant.Kind.STRING_VALUE
          && key.constant().stringValue().equals("body")) {
        return identName(expr.call().args().get(0)) + ".body";
      }
    }
    return null;
  }

  /** A clearer word for a misspelt or out-of-scope {@code k8s.*} name than "undeclared 'k8s'". */
  private static String vocabularyHint(String source, Scope scope) {
    Matcher m = VOCABULARY_TOKEN.matcher(source);
    List<String> hints = new ArrayList<>();
    while (m.find()) {
      String name = m.group();
      if (CelVocabulary.REQUEST_NAMES.containsKey(name)
          || (scope == Scope.RESPONSE && CelVocabulary.RESPONSE_NAMES.containsKey(name))) {
        continue;
      }
      if (CelVocabulary.RESPONSE_NAMES.containsKey(name)) {
        hints.add(name + " is available in response transforms only");
      } else if (!isPrefixOfName(name)) {
        hints.add(
            "unknown vocabulary name "
                + name
                + " (known: "
                + CelVocabulary.known(scope == Scope.RESPONSE)
                + ")");
      }
    }
    return hints.isEmpty() ? "" : "\n" + String.join("\n", new LinkedHashSet<>(hints));
  }

  private static boolean isPrefixOfName(String name) {
    String prefix = name + ".";
    return CelVocabulary.REQUEST_NAMES.keySet().stream().anyMatch(n -> n.startsWith(prefix))
        || CelVocabulary.RESPONSE_NAMES.keySet().stream().anyMatch(n -> n.startsWith(prefix));
  }

  /**
   * Records what a node reads of {@code request}/{@code response} and the vocabulary; returns a
   * problem for unknown fields. Index access with a constant ({@code request["body"]}) counts like
   * a field; any other use of the whole variable counts as reading everything.
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
      String name = expr.ident().name();
      if (CelVocabulary.isName(name)) {
        reads.add(name);
        String body = CelVocabulary.bodyRead(name);
        if (body != null) {
          reads.add(body);
        }
        return null;
      }
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
      return CelValues.fromJson(
          HttpMessage.parseJson(bytes), new CelValues.NumberOrigins(() -> bytes));
    } catch (BodyException e) {
      throw new IllegalArgumentException("json(): argument is not valid JSON", e);
    }
  }

  /**
   * Evaluates {@code compiled} over {@code variables} (asked for each variable as the evaluation
   * reaches it), with {@code resolver} answering {@code json(bytes)}, under the run-time bounds.
   */
  static Object evaluate(
      Compiled compiled,
      CelVariableResolver variables,
      JsonResolver resolver,
      EvaluationBudget.Inputs inputs)
      throws CelEvaluationException {
    JsonResolver previous = CURRENT.get();
    CURRENT.set(resolver);
    try {
      return compiled.bounded
          ? compiled.program().eval(variables)
          : compiled.program().trace(variables, new EvaluationBudget(inputs));
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }
}
