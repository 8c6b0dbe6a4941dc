"""GANimation generator / critic shapes, ranges and the compositing formula."""

from __future__ import annotations

import pytest
import torch

from ganimate.au.names import N_AUS
from ganimate.training.config import ModelConfig
from ganimate.training.networks import Critic, Generator, ResidualBlock, composite

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_composite_formula():
    image = torch.full((2, 3, 4, 4), 0.5)
    color = torch.full((2, 3, 4, 4), -0.25)
    att = torch.rand(2, 1, 4, 4)
    out = composite(image, att, color)
    assert torch.allclose(out, att * 0.5 + (1 - att) * -0.25)
    assert torch.equal(composite(image, torch.ones_like(att), color), image)
    assert torch.equal(composite(image, torch.zeros_like(att), color), color)


def test_generator_shapes_ranges_and_forward_uses_composite():
    torch.manual_seed(0)
    g = Generator(ngf=8, res_blocks=2).eval()
    image = torch.rand(3, 3, 32, 32) * 2 - 1
    aus = torch.rand(3, N_AUS)
    out, att, color = g(image, aus)
    assert out.shape == (3, 3, 32, 32) and att.shape == (3, 1, 32, 32) and color.shape == (3, 3, 32, 32)
    assert att.min() >= 0 and att.max() <= 1
    assert color.min() >= -1 and color.max() <= 1 and out.min() >= -1 and out.max() <= 1
    assert torch.allclose(out, att * image + (1 - att) * color, atol=1e-6)
    # the AUs condition the output
    out2, _, _ = g(image, 1 - aus)
    assert (out2 - out).abs().max() > 1e-4


def test_generator_architecture_follows_paper():
    g = Generator.from_config(ModelConfig())  # 128 px, ngf 64
    convs = [m for m in g.body if isinstance(m, torch.nn.Conv2d)]
    ups = [m for m in g.body if isinstance(m, torch.nn.ConvTranspose2d)]
    assert convs[0].in_channels == 3 + N_AUS and convs[0].out_channels == 64 and convs[0].kernel_size == (7, 7)
    assert [(c.out_channels, c.stride) for c in convs[1:]] == [(128, (2, 2)), (256, (2, 2))]
    assert [u.out_channels for u in ups] == [128, 64]
    assert sum(isinstance(m, ResidualBlock) for m in g.body) == 6
    assert sum(isinstance(m, ResidualBlock) for m in Generator.from_config(ModelConfig(image_size=256)).body) == 9
    assert any(isinstance(m, torch.nn.InstanceNorm2d) and m.affine for m in g.body)


def test_resize_upsampling_has_no_transposed_convs_and_no_checkerboard():
    torch.manual_seed(0)
    g = Generator(ngf=8, res_blocks=1, upsample="resize").eval()
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in g.body)
    assert sum(isinstance(m, torch.nn.Upsample) for m in g.body) == 2
    image, aus = torch.zeros(1, 3, 32, 32), torch.zeros(1, N_AUS)
    out, att, _ = g(image, aus)
    assert out.shape == (1, 3, 32, 32) and att.shape == (1, 1, 32, 32)
    # on a flat feature map, a 4x4 stride-2 transposed conv gives a period-2 pattern (uneven kernel overlap);
    # nearest + 3x3 conv gives a flat map, away from the borders
    flat = torch.ones(1, 16, 8, 8)
    resize_conv = [m for m in g.body if isinstance(m, (torch.nn.Upsample, torch.nn.Conv2d))][-2:]
    resized = resize_conv[1](resize_conv[0](flat))[0, :, 2:-2, 2:-2]
    transposed = Generator(ngf=8, res_blocks=1).body
    tconv = next(m for m in transposed if isinstance(m, torch.nn.ConvTranspose2d))
    t_out = tconv(torch.ones(1, tconv.in_channels, 8, 8))[0, :, 2:-2, 2:-2]
    assert resized.shape[-1] == t_out.shape[-1] == 12
    assert resized.std(dim=(1, 2)).max() < 1e-5 < 1e-2 < t_out.std(dim=(1, 2)).max()
    with pytest.raises(ValueError, match="upsample"):
        Generator(ngf=8, res_blocks=1, upsample="bicubic")


@pytest.mark.parametrize(("size", "ndf", "layers", "cap"), [(128, 64, 6, 2048), (32, 8, 3, 16), (64, 4, 4, 1024)])
def test_critic_shapes_and_channels(size, ndf, layers, cap):
    d = Critic(size, ndf, layers, cap)
    convs = [m for m in d.body if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == layers
    assert [c.out_channels for c in convs] == [min(ndf * 2**i, cap) for i in range(layers)]
    assert d.au_head.kernel_size == (size // 2**layers,) * 2
    assert not any(isinstance(m, torch.nn.modules.batchnorm._NormBase) for m in d.modules())
    if size <= 64:
        score, aus = d(torch.rand(2, 3, size, size) * 2 - 1)
        assert score.shape == (2,) and aus.shape == (2, N_AUS)


def test_critic_paper_channels():
    d = Critic.from_config(ModelConfig())
    assert [m.out_channels for m in d.body if isinstance(m, torch.nn.Conv2d)] == [64, 128, 256, 512, 1024, 2048]


def test_critic_rejects_indivisible_size():
    with pytest.raises(ValueError):
        Critic(100, 8, 3)
