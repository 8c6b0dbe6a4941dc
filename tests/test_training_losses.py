"""GANimation losses: values against hand-computed cases, gradients, and behaviour under bf16 autocast."""

from __future__ import annotations

import pytest
import torch

from ganimate.training import losses as L
from ganimate.training.networks import Critic

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _linear_critic(w: torch.Tensor):
    return lambda x: (x.flatten(1) * w.flatten()).sum(dim=1)


@pytest.mark.parametrize(("norm", "expected"), [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_gradient_penalty_of_linear_critic(norm, expected):
    torch.manual_seed(0)
    w = torch.randn(3, 8, 8)
    w = w / w.norm() * norm  # the gradient of <w, x> is w everywhere
    real, fake = torch.rand(4, 3, 8, 8), torch.rand(4, 3, 8, 8)
    gp = L.gradient_penalty(_linear_critic(w), real, fake)
    assert gp.item() == pytest.approx(expected, abs=1e-5)


def test_gradient_penalty_backpropagates_into_critic():
    torch.manual_seed(0)
    critic = Critic(16, 4, 2, 8)
    gp = L.gradient_penalty(lambda x: critic(x)[0], torch.rand(3, 3, 16, 16), torch.rand(3, 3, 16, 16))
    gp.backward()
    grads = [p.grad for p in critic.body.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0


def test_gradient_penalty_under_bf16_autocast_matches_fp32():
    torch.manual_seed(0)
    critic = Critic(32, 8, 3, 32)
    real, fake, alpha = torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4)
    x = L.interpolate(real, fake, alpha).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x)[0].sum(), x)
    k = 3.0 / grad.flatten(1).norm(dim=1).mean().item()  # gradient norms ~3, so the penalty is far from 0 or 1

    def score(images):
        return k * critic(images)[0]

    ref = L.gradient_penalty(score, real, fake, alpha)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = L.gradient_penalty(score, real, fake, alpha)
    assert 1.0 < ref.item() < 10.0
    assert low.dtype == torch.float32
    assert low.item() == pytest.approx(ref.item(), rel=0.03)


def test_gradient_penalty_scale_is_undone():
    torch.manual_seed(0)
    w = torch.randn(3, 4, 4)
    x = torch.rand(2, 3, 4, 4, requires_grad=True)
    score = _linear_critic(w)(x)
    plain = L.gradient_penalty_from(score, x)
    scaled = L.gradient_penalty_from(_linear_critic(w)(x), x, scale=1024.0)
    assert scaled.item() == pytest.approx(plain.item(), rel=1e-5)


def test_wasserstein_terms():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert L.critic_wasserstein(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert L.generator_adversarial(fake).item() == pytest.approx(0.5)


def test_interpolate_endpoints():
    real, fake = torch.ones(2, 3, 2, 2), -torch.ones(2, 3, 2, 2)
    mixed = L.interpolate(real, fake, torch.tensor([1.0, 0.25]))
    assert torch.equal(mixed[0], real[0])
    assert torch.allclose(mixed[1], torch.full((3, 2, 2), -0.5))


def test_au_and_cycle_losses():
    a, b = torch.tensor([[0.0, 1.0], [0.5, 0.5]]), torch.tensor([[1.0, 1.0], [0.5, 0.0]])
    assert L.au_regression(a, b).item() == pytest.approx((1 + 0 + 0 + 0.25) / 4)
    x = torch.rand(2, 3, 4, 4)
    assert L.cycle_consistency(x, x).item() == 0.0
    assert L.cycle_consistency(x + 0.5, x).item() == pytest.approx(0.5)
    assert L.au_regression(a.bfloat16(), b).dtype == torch.float32


def test_total_variation():
    assert L.total_variation(torch.full((2, 1, 8, 8), 0.7)).item() == 0.0
    step = torch.zeros(2, 1, 6, 8)
    step[..., 4:] = 1.0  # a vertical edge: one jump of 1 per row
    assert L.total_variation(step).item() == pytest.approx(2 * 6)
    checker = (torch.arange(4).view(1, 1, 1, 4) + torch.arange(4).view(1, 1, 4, 1)) % 2
    assert L.total_variation(checker.float()).item() == pytest.approx(2 * 4 * 3)


def test_attention_mean():
    att = torch.zeros(1, 1, 4, 4)
    att[..., :2] = 1.0
    assert L.attention_mean(att).item() == 0.5


def test_expression_judge_trains_generator_not_judge():
    torch.manual_seed(0)
    judge = torch.nn.Sequential(torch.nn.Conv2d(3, 17, 8), torch.nn.Flatten(), torch.nn.Sigmoid())
    judge.eval().requires_grad_(False)
    fake = (torch.rand(2, 3, 8, 8) * 2 - 1).requires_grad_(True)
    target = torch.rand(2, 17)
    loss = L.expression_judge(judge, fake, target)
    assert loss.item() == pytest.approx(((judge(fake) - target) ** 2).mean().item())
    loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(p.grad is None for p in judge.parameters())


def test_jitter_images_zero_is_a_resize_and_nonzero_moves_each_image_differently():
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    assert torch.allclose(L.jitter_images(x, 0.0, 16), x, atol=1e-5)
    assert L.jitter_images(x, 0.0, 8).shape == (4, 3, 8, 8)
    same = x[:1].detach().expand(4, 3, 16, 16)
    moved = L.jitter_images(same, 0.1, 16)
    assert (moved - same).abs().mean() > 0.02  # shifted
    assert (moved[0] - moved[1]).abs().mean() > 1e-3  # a different draw per image
    torch.manual_seed(1)
    a = L.jitter_images(x, 0.1, 16)
    torch.manual_seed(1)
    assert torch.equal(a, L.jitter_images(x, 0.1, 16))  # torch's RNG: resumable runs repeat it
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_jitter_blurs_a_pixel_checkerboard_on_average():
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    board = ((yy + xx) % 2).float().expand(64, 3, 32, 32)
    torch.manual_seed(0)
    seen = L.jitter_images(board, 0.05, 32)
    # what a judge reads from the pattern averaged over draws is far weaker than the pattern itself
    pattern = board[0, 0] - 0.5
    assert (seen.mean(0)[0] - 0.5).mul(pattern).mean() < 0.3 * pattern.pow(2).mean()


def test_gaussian_blur_keeps_flat_images_and_means_and_kills_a_checkerboard():
    flat = torch.full((2, 3, 12, 12), 0.3)
    assert torch.allclose(L.gaussian_blur(flat, 1.0), flat, atol=1e-6)
    x = torch.rand(2, 3, 12, 12)
    assert L.gaussian_blur(x, 0.0) is x
    yy, xx = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
    board = ((yy + xx) % 2).float().expand(1, 3, 16, 16)
    blurred = L.gaussian_blur(board, 1.0)
    assert blurred.shape == board.shape
    assert board[..., 4:12, 4:12].std() > 0.45 and blurred[..., 4:12, 4:12].std() < 0.01
    assert blurred[..., 4:12, 4:12].mean() == pytest.approx(0.5, abs=1e-3)
    # a broad feature survives: a 6 px bar keeps most of its contrast
    bar = torch.zeros(1, 1, 16, 16)
    bar[..., 5:11, :] = 1.0
    assert L.gaussian_blur(bar, 1.0)[0, 0, 8, 8] > 0.9
