"""Model reading: ONNX paths, bytes or protos to a checked ModelProto (loader.py), with
large initializers read from the file one at a time (onnx_file.py)."""
