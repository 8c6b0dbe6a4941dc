"""Action Units: names, value scales, files and keyframe curves."""
