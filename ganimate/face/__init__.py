"""Faces: detection, tracking, temporal smoothing, alignment and paste-back."""
