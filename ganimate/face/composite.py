"""GANimation's compositing formula, written once for the training code (torch) and the run time (numpy).

output = A * image + (1 - A) * colour: attention A keeps (a warped copy of) the input, 1 - A takes the colour
map. Only arithmetic operators, so it works on numpy arrays and torch tensors alike, with broadcasting
(A of shape ...x1xHxW against Nx3xHxW images, or HxWx1 against HxWx3).
"""

from __future__ import annotations


def composite(image, attention, colour):
    """A * image + (1 - A) * colour. image, colour: same shape and range; attention: broadcastable, in [0, 1]."""
    return attention * image + (1.0 - attention) * colour
