/**
 * backprop: multilayer perceptrons trained by gradient descent and
 * backpropagation, in the notation of the course notes.
 *
 * @example
 * ```ts
 * import { Network } from 'backprop-mlp';
 * const net = new Network({ inputs: 2, layers: [{ units: 4, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], seed: 1 });
 * const history = await net.fit(inputs, targets, { mode: 'minibatch', batchSize: 4, learningRate: 0.5, epochs: 500 });
 * ```
 *
 * @module
 */
export * from './activations.js';
export type * from './backend/backend.js';
export { DTYPES } from './backend/backend.js';
export { type BackendInfo, backend, getBackend, jsBackend, setBackend } from './backend/index.js';
export { classIndex, classTargets, countCorrect, isClassification } from './classification.js';
export type { MatrixInput, ShapedArray } from './data/tensor.js';
export { toMatrix, toRows } from './data/tensor.js';
export type { BundledName } from './datasets/bundled.js';
export type { Dataset, GeneratorName, GeneratorOptions } from './datasets/generators.js';
export * as datasets from './datasets/index.js';
export { drawMask, dropoutRandom } from './dropout.js';
export { BackpropError, DivergenceError, ModelFormatError } from './errors.js';
export { type ExplainOptions, explain, formatExplain, type LayerTrace, type StepTrace } from './explain.js';
export { EXPLAIN_FORMATS, type ExplainFormat, formatExplainAs } from './explain-format.js';
export {
  formatGradientCheck,
  type GradientCheckOptions,
  type GradientCheckResult,
  gradientCheck,
  type LayerCheck,
  type WeightCheck,
} from './gradcheck.js';
export { INIT_NAMES, type InitName } from './init.js';
export * from './losses.js';
export * from './model/format.js';
export { type Layer, type LayerSpec, Network, type NetworkOptions } from './network.js';
export * from './optimizers.js';
export { plural } from './plural.js';
export {
  backward,
  createGradients,
  createWorkspace,
  forward,
  type Gradients,
  type Workspace,
} from './propagation.js';
export { Random } from './random.js';
export {
  parseSchedule,
  RateSchedule,
  type ResolvedSchedule,
  resolveSchedule,
  SCHEDULE_NAMES,
  type ScheduleName,
  type ScheduleSpec,
  type ScheduleState,
} from './schedules.js';
export {
  checkField,
  describe as describeValue,
  expectation,
  fieldProblem,
  orList,
} from './settings/check.js';
export {
  type CliValueOf,
  FIELD_NAMES,
  FIELDS,
  type Field,
  type FieldName,
  type FieldOptions,
  type FieldType,
  field,
  fieldOf,
  type Interval,
  interval,
  nearestName,
  OPTIMIZER_FIELDS,
  type OptimizerField,
  type ValueOf,
} from './settings/fields.js';
export {
  checkTrainingRecord,
  type RecordedSettings,
  type RunFacts,
  type TrainingRecord,
  trainingRecord,
} from './settings/record.js';
export type { TrainerExtras } from './settings.js';
export { type DriveOptions, drive, yieldToEventLoop } from './train/driver.js';
export { type FitOptions, fit, type History } from './train/fit.js';
export * from './train/trainer.js';
export { classWeightsOf, exampleWeights } from './weights.js';
