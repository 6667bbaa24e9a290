/**
 * Models that travel: a model file (docs/design.md, "Model file") to and from ONNX, the
 * TensorFlow.js layers format and safetensors laid out for a PyTorch
 * `nn.Sequential`, and a PyTorch training script that trains it as `backprop
 * train` would. Browser-safe: every function works on bytes and objects, none
 * touches the file system.
 *
 * @module
 */
export { InteropError, type TensorDType } from './common.js';
export { ONNX_METADATA_KEY, ONNX_RAW_INPUTS_KEY, type OnnxExportOptions, toOnnx } from './onnx.js';
export { fromOnnx } from './onnx-import.js';
export { type PytorchExportOptions, type PytorchSettings, pytorchSettings, toPytorch } from './pytorch.js';
export {
  fromSafetensors,
  parseLayerSpec,
  SAFETENSORS_METADATA,
  type SafetensorsExportOptions,
  toSafetensors,
} from './safetensors.js';
export { fromTfjs, type TfjsExportOptions, type TfjsModelJson, type TfjsWeightSpec, toTfjs } from './tfjs.js';
