"""GANimation losses as pure functions on tensors (weights are applied by the trainer).

Every loss is returned as a float32 scalar tensor, also when its inputs come from a bf16/fp16 autocast region.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F


def critic_wasserstein(score_real: torch.Tensor, score_fake: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss: E[D(fake)] - E[D(real)]. scores: float (N,)."""
    return score_fake.float().mean() - score_real.float().mean()


def generator_adversarial(score_fake: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: -E[D(G(x))]. score_fake: float (N,)."""
    return -score_fake.float().mean()


def interpolate(real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Random points on the lines between real and fake images; alpha float (N,) in [0, 1]."""
    a = alpha.to(real.dtype).reshape(-1, 1, 1, 1)
    return a * real + (1.0 - a) * fake


def gradient_penalty_from(score: torch.Tensor, inputs: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """WGAN-GP term mean((||d score_i / d x_i||_2 - 1)^2) for critic scores (N,) computed from inputs (N,...).

    Keeps the graph (create_graph) so the penalty can be minimised. `scale` multiplies the scores before
    differentiation and divides the gradients after (GradScaler's factor under fp16, so small gradients do
    not underflow); the norm is taken in float32 so the penalty stays accurate under autocast.
    """
    (grad,) = torch.autograd.grad(score.float().sum() * scale, inputs, create_graph=True)
    grad = grad.float().flatten(1) / scale
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def gradient_penalty(
    critic_score: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017) on interpolates of real and fake (both float Nx3xSxS).

    critic_score maps images to scores (N,). alpha: float (N,) in [0, 1]; drawn uniformly when None.
    """
    if alpha is None:
        alpha = torch.rand(real.shape[0], device=real.device)
    x_hat = interpolate(real.detach(), fake.detach(), alpha).requires_grad_(True)
    return gradient_penalty_from(critic_score(x_hat), x_hat)


def au_regression(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Plain-mean MSE between AU vectors (N,17), both on the /5 scale."""
    return F.mse_loss(predicted.float(), target.float())


def cycle_consistency(reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between G(G(x, y_tgt), y_src) and x (float Nx3xSxS)."""
    return F.l1_loss(reconstructed.float(), original.float())


def total_variation(attention: torch.Tensor) -> torch.Tensor:
    """Summed absolute differences between neighbouring pixels of attention maps (float NxCxHxW).

    A sum, not a mean, as in the official GANimation code: its weight 1e-5 assumes it.
    """
    a = attention.float()
    return (a[:, :, :, 1:] - a[:, :, :, :-1]).abs().sum() + (a[:, :, 1:, :] - a[:, :, :-1, :]).abs().sum()


def attention_mean(attention: torch.Tensor) -> torch.Tensor:
    """Mean attention (float NxCxHxW in [0, 1]): penalising it pushes the generator to edit, not copy."""
    return attention.float().mean()


def jitter_images(images: torch.Tensor, amount: float, size: int) -> torch.Tensor:
    """Each image (float Nx3xHxW) shifted by up to `amount` of its width and scaled by 1 +- amount, drawn
    from torch's RNG, resampled bilinearly (edges repeated) to Nx3xsizexsize. Differentiable."""
    n = images.shape[0]
    u = (torch.rand(n, 3, device=images.device) * 2.0 - 1.0) * amount
    theta = torch.zeros(n, 2, 3, device=images.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0 + u[:, 0]
    theta[:, :, 2] = 2.0 * u[:, 1:]  # affine_grid spans [-1, 1]: a fraction f of the crop is 2f
    grid = F.affine_grid(theta, [n, images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each channel of float NxCxHxW blurred by a Gaussian of `sigma` px (kernel 2*ceil(2 sigma)+1, edges
    repeated); sigma <= 0 returns the input. Differentiable."""
    if sigma <= 0:
        return images
    radius = max(1, math.ceil(2.0 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32, device=images.device)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    c = images.shape[1]
    out = F.pad(images.float(), (radius, radius, radius, radius), mode="replicate")
    out = F.conv2d(out, k.reshape(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(out, k.reshape(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def expression_judge(judge: Callable[[torch.Tensor], torch.Tensor], fake: torch.Tensor,
                     target: torch.Tensor) -> torch.Tensor:
    """MSE between a frozen AU estimator's reading of the generated faces (Nx3xSxS) and the target AUs (N,17)."""
    return au_regression(judge(fake), target)
