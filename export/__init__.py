"""PyTorch -> ONNX export and parity checks (installed as ganimate.export)."""
