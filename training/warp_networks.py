"""The warping generator: GANimation's attention and colour plus a smooth 2-D flow that moves the face.

output = A * warp(I, F) + (1 - A) * C (the formula of ganimate/face/composite.py). The flow moves the
person's own pixels (sharp, their colours: lips, lids and brows change shape); the colour map is left for
what no warp can make (mouth interior, teeth, the skin of a closed lid). The flow is predicted at a quarter
of the crop's resolution and upsampled, so it is smooth by construction and cheap to apply at any size.

Flow convention (training and run time): `flow` float N x 2 x S x S, backward displacement in crop pixels,
channel 0 = x, 1 = y: output pixel (x, y) takes the input at (x + fx, y + fy). Pixel centres at integers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganimate.au.names import N_AUS
from ganimate.face.composite import composite


def _block(c_in: int, c_out: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    pad = (kernel - 1) // 2 if stride == 1 else (kernel - stride + 1) // 2
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, pad, bias=False),
                         nn.InstanceNorm2d(c_out, affine=True), nn.ReLU(inplace=True))


class _Res(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(_block(ch, ch), nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
                                  nn.InstanceNorm2d(ch, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def warp_image(image: torch.Tensor, flow_px: torch.Tensor) -> torch.Tensor:
    """Backward warp: image float N x C x H x W, flow_px N x 2 x H x W (pixels) -> warped N x C x H x W."""
    n, _, h, w = image.shape
    ys = torch.arange(h, device=image.device, dtype=flow_px.dtype)
    xs = torch.arange(w, device=image.device, dtype=flow_px.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    x = gx + flow_px[:, 0]
    y = gy + flow_px[:, 1]
    grid = torch.stack([(2.0 * x + 1.0) / w - 1.0, (2.0 * y + 1.0) / h - 1.0], dim=-1)  # align_corners=False
    return F.grid_sample(image, grid.to(image.dtype), mode="bilinear", padding_mode="border", align_corners=False)


def sample_at(field: torch.Tensor, points_px: torch.Tensor) -> torch.Tensor:
    """Bilinear read of field N x C x H x W at points N x P x 2 (pixels, x, y) -> N x P x C."""
    _, _, h, w = field.shape
    u = (2.0 * points_px[..., 0] + 1.0) / w - 1.0
    v = (2.0 * points_px[..., 1] + 1.0) / h - 1.0
    grid = torch.stack([u, v], dim=-1).unsqueeze(1).to(field.dtype)  # N x 1 x P x 2
    read = F.grid_sample(field, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return read[:, :, 0].transpose(1, 2)


def shrink(image: torch.Tensor, size: int) -> torch.Tensor:
    """N x C x S x S -> N x C x size x size: box average when S is a multiple of size (exports to ONNX as
    AveragePool, unlike antialiased resizing), else bilinear."""
    s = image.shape[-1]
    if s % size == 0:
        return F.avg_pool2d(image, s // size)
    return F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False)


class WarpGenerator(nn.Module):
    """(image N x 3 x S x S in [-1, 1], aus N x 17 in [0, 1]) -> (output, attention, colour, flow).

    output N x 3 x S x S in [-1, 1]; attention N x 1 x S x S in [0, 1] (1 = keep the warped input); colour
    N x 3 x S x S in [-1, 1]; flow N x 2 x S x S in crop px (see the module docstring), |flow| <= max_flow * S.
    internal_size: the side the network works at (None = S); flow, attention and colour are upsampled to S
    and the warp moves the S crop itself, so a cheap network still keeps the crop's own sharpness.
    A small U-Net: three stride-2 stages to S/8, residual blocks with the AUs fed in again, decoder with skips;
    the flow head reads the S/4, S/2 or S features (flow_level 4, 2, 1), attention and colour the full-resolution ones.
    """

    def __init__(self, ngf: int = 32, res_blocks: int = 3, n_aus: int = N_AUS, max_flow: float = 0.12,
                 attention_bias: float = 3.0, internal_size: int | None = None, image_size: int = 128,
                 flow_level: int = 4):
        super().__init__()
        if flow_level not in (1, 2, 4):
            raise ValueError(f"flow_level must be 1, 2 or 4, not {flow_level}")
        self.n_aus, self.max_flow, self.internal_size, self.flow_level = n_aus, max_flow, internal_size, flow_level
        self.e1 = _block(3 + n_aus, ngf, 2, 4)  # S/2
        self.e2 = _block(ngf, 2 * ngf, 2, 4)  # S/4
        self.e3 = _block(2 * ngf, 4 * ngf, 2, 4)  # S/8
        # The network reads the input's own AUs too (trained on its labels): the motion to make depends on
        # the change target - source, which it is then handed at the bottleneck.
        side = (internal_size or image_size) // 8
        self.source_head = nn.Sequential(nn.AdaptiveAvgPool2d(min(side, 4)), nn.Flatten(),
                                         nn.Linear(4 * ngf * min(side, 4) ** 2, 128), nn.ReLU(inplace=True),
                                         nn.Linear(128, n_aus), nn.Sigmoid())
        self.inject = _block(4 * ngf + 2 * n_aus, 4 * ngf, 1, 1)
        self.res = nn.Sequential(*[_Res(4 * ngf) for _ in range(res_blocks)])
        self.d3 = _block(4 * ngf + 2 * ngf, 2 * ngf)  # S/4, after upsampling + skip
        # A learned flow field per AU, in the aligned crop's frame, scaled by that AU's change: faces are
        # aligned, so most of the motion is this linear part (it learns in a few hundred steps, like the
        # least-squares AU geometry); the convolutional head adds what depends on the face.
        # flow_level 2 predicts the flow at S/2 (cells of 4 px of a 128 px crop: fine enough to move an eyelid
        # apart from the lid below it), 4 at S/4, 1 at the network's own side (2 px cells of a 128 px crop read
        # at 64 px, from the last decoder features: sharp enough to fold a lid gap of a few px)
        flow_side = (internal_size or image_size) // flow_level
        self.au_flow = nn.Parameter(torch.zeros(n_aus, 2, flow_side, flow_side))
        flow_in = {4: 2 * ngf, 2: ngf, 1: ngf // 2}[flow_level]
        self.flow_head = nn.Sequential(_block(flow_in, ngf), nn.Conv2d(ngf, 2, 3, 1, 1))
        self.d2 = _block(2 * ngf + ngf, ngf)  # S/2
        self.d1 = _block(ngf + 3, ngf // 2)  # S, with the image itself as the last skip
        self.attention_head = nn.Conv2d(ngf // 2, 1, 3, 1, 1)
        self.colour_head = nn.Conv2d(ngf // 2, 3, 3, 1, 1)
        nn.init.zeros_(self.flow_head[-1].weight)
        nn.init.zeros_(self.flow_head[-1].bias)  # start as the identity warp
        nn.init.constant_(self.attention_head.bias, attention_bias)  # and near "keep the input"

    def forward(self, image: torch.Tensor, aus: torch.Tensor):
        n, _, h, w = image.shape
        small = image
        if self.internal_size and self.internal_size != h:
            # the network reads a smaller copy; its maps are upsampled and the warp moves the full-size crop
            small = shrink(image, self.internal_size)
        a = aus.to(image.dtype).reshape(n, self.n_aus, 1, 1)
        sh, sw = small.shape[2:]
        e1 = self.e1(torch.cat([small, a.expand(n, self.n_aus, sh, sw)], 1))
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        source = self.source_head(e3)
        change = a - source.reshape(n, self.n_aus, 1, 1).to(a.dtype)
        size3 = e3.shape[2:]
        x = self.inject(torch.cat([e3, a.expand(n, self.n_aus, *size3), change.expand(n, self.n_aus, *size3)], 1))
        x = self.res(x)
        x = self.d3(torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), e2], 1))
        if self.flow_level == 4:
            flow = self._flow(x, change, h, w)
        x = self.d2(torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), e1], 1))
        if self.flow_level == 2:
            flow = self._flow(x, change, h, w)
        x = self.d1(torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), small], 1))
        if self.flow_level == 1:
            flow = self._flow(x, change, h, w)
        attention = torch.sigmoid(self.attention_head(x))
        colour = torch.tanh(self.colour_head(x))
        if small is not image:
            attention = F.interpolate(attention, size=(h, w), mode="bilinear", align_corners=False)
            colour = F.interpolate(colour, size=(h, w), mode="bilinear", align_corners=False)
        output = composite(warp_image(image, flow), attention, colour)
        self.last_source = source  # the training loss fits it to the input's labels
        return output, attention, colour, flow

    def _flow(self, x: torch.Tensor, change: torch.Tensor, h: int, w: int) -> torch.Tensor:
        linear = torch.einsum("nk,kchw->nchw", change.flatten(1), self.au_flow.to(x.dtype))
        flow_low = torch.tanh(self.flow_head(x) + linear) * (self.max_flow * h)
        return F.interpolate(flow_low, size=(h, w), mode="bilinear", align_corners=False)
