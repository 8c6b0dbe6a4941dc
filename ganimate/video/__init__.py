"""Video I/O: probe, streaming decode to upright RGB frames, encode with the source's timing,
rotation and audio (PyAV). See the module docstrings of probe, reader and writer for the decisions.
"""

from ganimate.video.probe import VideoInfo, is_image, probe_video, read_image
from ganimate.video.reader import VideoFrame, read_frames
from ganimate.video.writer import ThreadedVideoWriter, VideoWriter, choose_pix_fmt

__all__ = [
    "ThreadedVideoWriter",
    "VideoFrame",
    "VideoInfo",
    "VideoWriter",
    "choose_pix_fmt",
    "is_image",
    "probe_video",
    "read_frames",
    "read_image",
]
