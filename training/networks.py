"""GANimation generator and critic (Pumarola et al., ECCV 2018), and the attention compositing formula."""

from __future__ import annotations

import torch
from torch import nn

from ganimate.au.names import N_AUS
from ganimate.face.composite import composite

from .config import ModelConfig

__all__ = ["Critic", "Generator", "ResidualBlock", "composite"]


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _conv_in_relu(conv: nn.Module, channels: int) -> list[nn.Module]:
    return [conv, nn.InstanceNorm2d(channels, affine=True), nn.ReLU(inplace=True)]


def _upsample_in_relu(c_in: int, c_out: int, kind: str) -> list[nn.Module]:
    """x2 upsampling: the paper's transposed conv, or nearest + 3x3 conv, which has no uneven kernel overlap
    and so no built-in checkerboard (Odena et al., Distill 2016)."""
    if kind == "transpose":
        return _conv_in_relu(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), c_out)
    if kind == "resize":
        conv = nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)
        return [nn.Upsample(scale_factor=2, mode="nearest"), *_conv_in_relu(conv, c_out)]
    raise ValueError(f"unknown upsample {kind!r}")


class Generator(nn.Module):
    """Image + target AUs -> (output, attention, color).

    forward(image float Nx3xSxS in [-1, 1], aus float Nx17 in [0, 1] (intensity / 5)) returns
    output Nx3xSxS in [-1, 1], attention Nx1xSxS in [0, 1], color Nx3xSxS in [-1, 1].
    """

    def __init__(self, ngf: int = 64, res_blocks: int = 6, n_aus: int = N_AUS, attention_bias: float | None = None,
                 upsample: str = "transpose"):
        super().__init__()
        layers: list[nn.Module] = _conv_in_relu(nn.Conv2d(3 + n_aus, ngf, 7, 1, 3, bias=False), ngf)
        ch = ngf
        for _ in range(2):
            layers += _conv_in_relu(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), ch * 2)
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(res_blocks)]
        for _ in range(2):
            layers += _upsample_in_relu(ch, ch // 2, upsample)
            ch //= 2
        self.body = nn.Sequential(*layers)
        self.color_head = nn.Sequential(nn.Conv2d(ch, 3, 7, 1, 3, bias=False), nn.Tanh())
        # The attention head keeps a bias so an exported test model can be made an exact identity.
        self.attention_head = nn.Sequential(nn.Conv2d(ch, 1, 7, 1, 3, bias=True), nn.Sigmoid())
        if attention_bias is not None:
            # start near "keep the input" so early outputs are faces, not colour-map noise
            nn.init.constant_(self.attention_head[0].bias, attention_bias)
        self.n_aus = n_aus

    @classmethod
    def from_config(cls, model: ModelConfig) -> Generator:
        return cls(ngf=model.ngf, res_blocks=model.generator_res_blocks, attention_bias=model.attention_bias_init,
                   upsample=model.upsample)

    def forward(self, image: torch.Tensor, aus: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, _, h, w = image.shape
        tiled = aus.to(image.dtype).reshape(n, self.n_aus, 1, 1).expand(n, self.n_aus, h, w)
        features = self.body(torch.cat([image, tiled], dim=1))
        color = self.color_head(features)
        attention = self.attention_head(features)
        return composite(image, attention, color), attention, color


class Critic(nn.Module):
    """WGAN critic with an AU regression head.

    forward(image float Nx3xSxS in [-1, 1]) -> (score float N: mean of the patch map, aus float Nx17).
    `layers` stride-2 4x4 convs, channels ndf * 2**i capped at max_channels, LeakyReLU 0.01, no normalisation.
    """

    def __init__(self, image_size: int = 128, ndf: int = 64, layers: int = 6, max_channels: int = 2048,
                 n_aus: int = N_AUS):
        super().__init__()
        if image_size % (2**layers):
            raise ValueError(f"image_size {image_size} is not divisible by 2**{layers}")
        body: list[nn.Module] = []
        ch_in, ch = 3, min(ndf, max_channels)
        for i in range(layers):
            ch = min(ndf * 2**i, max_channels)
            body += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.LeakyReLU(0.01)]
            ch_in = ch
        self.body = nn.Sequential(*body)
        self.score_head = nn.Conv2d(ch, 1, 3, 1, 1, bias=False)
        self.au_head = nn.Conv2d(ch, n_aus, image_size // 2**layers, bias=False)

    @classmethod
    def from_config(cls, model: ModelConfig) -> Critic:
        return cls(model.image_size, model.ndf, model.critic_layers, model.critic_max_channels)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(image)
        score = self.score_head(features).mean(dim=(1, 2, 3))
        aus = self.au_head(features).flatten(1)
        return score, aus
