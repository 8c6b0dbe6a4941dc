"""The shipped default models (ONNX) and their model card."""
