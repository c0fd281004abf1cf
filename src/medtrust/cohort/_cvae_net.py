"""The conditional VAE network and its loss (imports torch: load only through ``_cvae``).

Encoder ``q(z | x, c)`` and decoder ``p(x | z, c)`` are two-hidden-layer ReLU MLPs (Kingma &
Welling, "Auto-Encoding Variational Bayes", 2014; Sohn et al., "Learning Structured Output
Representation using Deep Conditional Generative Models", NeurIPS 2015). The decoder's output has
the layout of the encoded row (see :mod:`._cvae_codec`): numeric slots are Gaussian means with
one learned standard deviation per column (as TVAE, Xu et al. NeurIPS 2019), "is missing" slots
are Bernoulli logits, categorical blocks are softmax logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class Layout:
    """Where each block sits in the encoded vector."""

    numeric: list[int]  # slot of each numeric column's value
    missing: list[int]  # slot of its "is missing" flag, -1 when the column has none
    categorical: list[tuple[int, int]]  # (start, stop) of each categorical block


class CVAE(nn.Module):
    """``q(z | x, c)`` and ``p(x | z, c)``; ``d_x`` encoded width, ``d_c`` condition width."""

    def __init__(self, d_x: int, d_c: int, n_numeric: int, latent: int, hidden: int) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d_x + d_c, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent + d_c, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, d_x))
        self.log_sigma = nn.Parameter(torch.full((n_numeric,), -1.0))

    def encode(self, x: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and log-variance, each (n, latent)."""
        h = self.enc(torch.cat([x, c], dim=1))
        return self.mu(h), self.logvar(h)

    def decode(self, z: Tensor, c: Tensor) -> Tensor:
        """Raw decoder output (n, d_x) in the encoded layout."""
        out: Tensor = self.dec(torch.cat([z, c], dim=1))
        return out


def loss(net: CVAE, lay: Layout, x: Tensor, c: Tensor, noise: Tensor, beta: float) -> Tensor:
    """Negative ELBO per row (mean over the batch): reconstruction + ``beta`` * KL(q || N(0, I)).

    ``noise`` is the reparameterisation's standard normal draw (n, latent), passed in so that
    the random stream is the caller's seeded generator.
    """
    mu, logvar = net.encode(x, c)
    z = mu + noise * torch.exp(0.5 * logvar)
    out = net.decode(z, c)
    rec = torch.zeros(x.shape[0])
    if lay.numeric:
        num = torch.tensor(lay.numeric)
        observed = torch.ones(x.shape[0], len(lay.numeric))
        for j, slot in enumerate(lay.missing):
            if slot >= 0:
                observed[:, j] = 1.0 - x[:, slot]
                rec = rec + nn.functional.binary_cross_entropy_with_logits(
                    out[:, slot], x[:, slot], reduction="none")
        sigma = torch.exp(net.log_sigma)
        nll = 0.5 * ((x[:, num] - out[:, num]) / sigma) ** 2 + net.log_sigma
        rec = rec + (nll * observed).sum(dim=1)
    for start, stop in lay.categorical:
        target = x[:, start:stop].argmax(dim=1)
        rec = rec + nn.functional.cross_entropy(out[:, start:stop], target, reduction="none")
    kl = -0.5 * (1 + logvar - mu**2 - torch.exp(logvar)).sum(dim=1)
    return (rec + beta * kl).mean()
