/**
 * InProcess processors: CEL request and response transforms ({@link
 * io.payloadprocessor.inprocess.CelTransformProcessor}) with the variables and functions of
 * docs/cel.md ({@link io.payloadprocessor.inprocess.CelVocabulary}) and their cost bounds ({@link
 * io.payloadprocessor.inprocess.CelEnvironment}, {@link
 * io.payloadprocessor.inprocess.EvaluationBudget}).
 */
package io.payloadprocessor.inprocess;
